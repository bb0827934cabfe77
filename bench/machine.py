"""What machine a benchmark ran on, in enough detail to compare speed figures.

Why: two VMs can both call themselves "AMD EPYC" with 2 cores and still differ
threefold in how fast they run the embedding model (a Zen 1 core does 128-bit
vector arithmetic, a later one 256-bit; int8 kernels need VNNI to beat fp32). So
the line names the CPU family and model, the vector extensions that matter, and a
measured matrix-multiply rate: speed rows compare only where that rate matches.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np

_VECTOR_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def cpu_description(cpuinfo: str | None = None) -> str:
    """ "AMD EPYC (family 23, model 1; avx2)" from /proc/cpuinfo, or the platform's name."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return platform.processor() or platform.machine()
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name") or platform.processor() or platform.machine()
    flags = set(fields.get("flags", "").split())
    vector = ", ".join(f for f in _VECTOR_FLAGS if f in flags) or "no AVX2"
    if "cpu family" in fields and "model" in fields:
        return f"{name} (family {fields['cpu family']}, model {fields['model']}; {vector})"
    return f"{name} ({vector})"


def gemm_gflops(size: int = 1024, seconds: float = 0.5) -> float:
    """Float32 matrix-multiply rate of this machine (all cores), in GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b  # warm up the BLAS threads
    runs, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or runs < 3:
        a @ b
        runs += 1
    return 2 * size**3 * runs / elapsed / 1e9


def machine_line() -> str:
    """CPU, cores, measured float32 GEMM rate and load: the context of every speed figure."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu_description()}, {os.cpu_count()} cores, float32 GEMM {gemm_gflops():.0f} GFLOP/s, "
        f"load average {load} (other work shares the cores)"
    )
