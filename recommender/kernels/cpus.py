"""The CPUs this process may keep busy: its CPU affinity, capped by a cgroup CPU quota.

A container with a CPU limit on a big host is given the host's cores in its affinity but
only a quota of their time: ``cpu.max`` ("QUOTA PERIOD", or "max PERIOD" for none) under
cgroup v2, ``cpu/cpu.cfs_quota_us`` and ``cpu/cpu.cfs_period_us`` (a quota of -1: none)
under cgroup v1. Work sized to the affinity there runs many threads on a few CPUs' worth of
time, and is throttled.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")
OWN_CGROUP = Path("/proc/self/cgroup")


def _read(path: Path) -> str | None:
    """``path``'s text, or None when it cannot be read."""
    try:
        return path.read_text(encoding="ascii", errors="strict")
    except (OSError, ValueError):
        return None


def _cpus(quota: str, period: str) -> int | None:
    """ceil(quota / period), at least 1, or None for no quota ("max", -1) or garbage."""
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    if q <= 0 or p <= 0:  # -1: none (v1); zero or a negative period: not a quota
        return None
    return max(1, math.ceil(q / p))


def _own_path(own: Path, v1: bool) -> list[str]:
    """This process's cgroup path in ``/proc/self/cgroup``, as its parts: the v2 line's
    ("0::/path"), or with ``v1`` the line of the hierarchy whose controllers include ``cpu``
    ("4:cpu,cpuacct:/path"); none when the line is missing."""
    path = ""
    for line in (_read(own) or "").splitlines():
        number, _, rest = line.partition(":")
        controllers, colon, where = rest.partition(":")
        if colon and (number.strip() != "0" and "cpu" in controllers.split(",") if v1
                      else number == "0" and not controllers):
            path = where.strip()
            break
    return [p for p in path.split("/") if p not in ("", ".", "..")]


def _folders(mount: Path, parts: list[str]) -> list[Path]:
    """The cgroup at ``parts`` under ``mount`` and each one above it, up to ``mount`` itself
    (a parent's quota limits its children too; ``mount`` alone for no parts)."""
    return [mount.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _v2_folders(root: Path, own: Path) -> list[Path]:
    """The folders whose ``cpu.max`` limits this process under cgroup v2: its own cgroup
    (``/proc/self/cgroup``'s "0::/path" line, the path under ``root``) and each one above it,
    up to ``root`` itself; ``root`` alone when the line is missing."""
    return _folders(root, _own_path(own, v1=False))


def _v1_folders(root: Path, own: Path) -> list[Path]:
    """The folders whose ``cpu.cfs_quota_us`` limits this process under cgroup v1: as
    ``_v2_folders``, its cpu hierarchy's line ("N:cpu,cpuacct:/path") under ``root/cpu``
    (only ``root/cpu`` was read: a quota on the process's own cgroup was missed)."""
    return _folders(root / "cpu", _own_path(own, v1=True))


def cpu_quota(root: Path = CGROUP_ROOT, own: Path = OWN_CGROUP) -> int | None:
    """The CPUs a cgroup quota allows this process (ceil(quota / period), at least 1), or None
    when there is none. ``root``: where the cgroup file system is mounted; ``own``: the
    process's ``/proc/self/cgroup``. The smallest of the v2 quotas (``_v2_folders``) and the v1
    ones (``_v1_folders``); a file missing, unreadable or not a quota counts as none, never an
    error."""
    found: list[int] = []
    for folder in _v2_folders(root, own):
        fields = (_read(folder / "cpu.max") or "").split()
        if len(fields) == 2 and (cpus := _cpus(*fields)) is not None:
            found.append(cpus)
    for folder in _v1_folders(root, own):
        v1 = [_read(folder / f"cpu.cfs_{n}_us") for n in ("quota", "period")]
        if v1[0] is not None and v1[1] is not None and (cpus := _cpus(v1[0], v1[1])) is not None:
            found.append(cpus)
    return min(found, default=None)


def _affinity() -> int:
    """The CPUs of this process's affinity (all of them where the system has none: macOS,
    Windows)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def available_cpus() -> int:
    """The CPUs this process may keep busy: those of its affinity, at most its cgroup quota's
    (``cpu_quota``)."""
    quota = cpu_quota()
    return max(1, _affinity() if quota is None else min(_affinity(), quota))


def usable_threads(pools: list[dict[str, Any]], cpus: int | None = None) -> int:
    """The threads a search or a fit may run at once: this process's CPUs (``cpus``, default
    ``available_cpus``), or fewer where an OpenMP pool of ``pools`` (``threadpool_info()``) is
    set lower (OMP_NUM_THREADS=1 keeps them on one thread)."""
    cpus = available_cpus() if cpus is None else cpus
    openmp = [int(p["num_threads"]) for p in pools if p.get("user_api") == "openmp"]
    return max(1, min([cpus, *openmp]))


def fit_threads() -> int:
    """The OpenMP threads an ALS fit on the calling thread is given when no count is asked
    for: 0 (OpenMP's own count: the affinity's, ``OMP_NUM_THREADS`` or a ``threadpool_limits``
    in force) without a cgroup CPU quota; under one, that count capped by the quota (OpenMP
    counts the affinity: 64 threads on a 4-CPU quota of a 64-core host)."""
    quota = cpu_quota()
    if quota is None:
        return 0
    from threadpoolctl import threadpool_info

    return usable_threads(threadpool_info(), max(1, min(_affinity(), quota)))
