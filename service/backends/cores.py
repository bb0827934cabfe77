"""How many cores this process may really use: its CPU affinity, capped by a container's quota.

`os.cpu_count()` and even the affinity mask see every core of the host; a container limited to
two CPUs (`docker run --cpus 2`, a Kubernetes CPU limit) on a 64-core host would otherwise run
64 encoding threads that the kernel then throttles. The quota lives in the cgroup files, read
here for cgroup v2 (`cpu.max`) and v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def usable_cores(cgroup_root: Path = CGROUP_ROOT) -> int:
    """Cores this process may run on, never more than its cgroup's CPU quota allows."""
    if hasattr(os, "sched_getaffinity"):
        cores = max(len(os.sched_getaffinity(0)), 1)
    else:  # macOS, Windows: no affinity mask
        cores = os.cpu_count() or 1
    quota = cpu_quota(cgroup_root)
    return min(cores, quota) if quota else cores


def cpu_quota(cgroup_root: Path = CGROUP_ROOT) -> int | None:
    """The cgroup's CPU limit rounded up to whole cores, or None where there is no limit."""
    v2 = _read(cgroup_root / "cpu.max")
    if v2:
        quota, _, period = v2.partition(" ")
        return _cores(quota, period)
    for folder in ("cpu", "cpu,cpuacct"):
        quota = _read(cgroup_root / folder / "cpu.cfs_quota_us")
        if quota:
            return _cores(quota, _read(cgroup_root / folder / "cpu.cfs_period_us") or "")
    return None


def _cores(quota: str, period: str) -> int | None:
    """'200000' over '100000' -> 2; 'max' or '-1' (no limit) or anything unreadable -> None."""
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:
        return None
    if quota_us <= 0 or period_us <= 0:
        return None
    return max(math.ceil(quota_us / period_us), 1)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
