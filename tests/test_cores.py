"""The encoder's thread count follows a container's CPU quota, not the host's core count."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from service.backends.cores import cpu_quota, usable_cores


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def _host_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@pytest.mark.parametrize(
    ("cpu_max", "cores"),
    [("200000 100000", 2), ("150000 100000", 2), ("50000 100000", 1), ("max 100000", None)],
)
def test_cgroup_v2_quota_rounds_up_to_whole_cores(
    tmp_path: Path, cpu_max: str, cores: int | None
) -> None:
    _write(tmp_path / "cpu.max", cpu_max)
    assert cpu_quota(tmp_path) == cores


@pytest.mark.parametrize("folder", ["cpu", "cpu,cpuacct"])
def test_cgroup_v1_quota(tmp_path: Path, folder: str) -> None:
    _write(tmp_path / folder / "cpu.cfs_quota_us", "300000")
    _write(tmp_path / folder / "cpu.cfs_period_us", "100000")
    assert cpu_quota(tmp_path) == 3


def test_no_limit_or_no_cgroup_files_means_no_quota(tmp_path: Path) -> None:
    assert cpu_quota(tmp_path) is None
    _write(tmp_path / "cpu" / "cpu.cfs_quota_us", "-1")
    _write(tmp_path / "cpu" / "cpu.cfs_period_us", "100000")
    assert cpu_quota(tmp_path) is None
    _write(tmp_path / "cpu.max", "garbage")
    assert cpu_quota(tmp_path) is None


def test_quota_caps_the_cores_and_never_raises_them(tmp_path: Path) -> None:
    _write(tmp_path / "cpu.max", "100000 100000")
    assert usable_cores(tmp_path) == 1
    _write(tmp_path / "cpu.max", f"{100000 * (_host_cores() + 8)} 100000")
    assert usable_cores(tmp_path) == _host_cores()
