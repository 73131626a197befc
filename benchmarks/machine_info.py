"""What the benchmark machine is, for the result files' machine facts: its CPU model, memory,
cgroup CPU quota and the versions of the packages measured (``common.machine_facts``)."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gb() -> float | None:
    """The machine's memory in GB (``/proc/meminfo``), or None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def cpu_quota() -> int | None:
    """The CPUs a cgroup quota allows this process (``kernels.cpus.cpu_quota``), or None."""
    from recommender.kernels.cpus import cpu_quota as quota

    return quota()


def package_version(module: str) -> str | None:
    """The installed version of the distribution ``module``, or None."""
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None
