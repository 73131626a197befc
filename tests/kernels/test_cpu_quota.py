"""The cgroup CPU quota (``kernels.cpus.cpu_quota``) read from fake cgroup v1 and v2 files,
against the quota's ceil(quota / period) worked out here, and ``available_cpus`` capped by it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from recommender.kernels import cpus


def ceil_cpus(quota: int, period: int) -> int:
    """The oracle: the CPUs a quota of ``quota`` µs each ``period`` µs keeps busy."""
    whole, part = divmod(quota, period)
    return max(1, whole + (part > 0))


def fake(root: Path, files: dict[str, str | bytes]) -> Path:
    """A cgroup tree under ``root`` with ``files`` (path under it: its text or bytes)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="ascii")
    return root


@pytest.mark.parametrize(("quota", "period"), [
    (400000, 100000), (150000, 100000), (50000, 100000), (100000, 100000), (1, 1000000),
    (6400000, 100000), (250000, 50000)])
def test_a_v2_quota_gives_its_cpus_rounded_up(tmp_path: Path, quota: int, period: int) -> None:
    root = fake(tmp_path / "cg", {"cpu.max": f"{quota} {period}\n"})
    assert cpus.cpu_quota(root, tmp_path / "no-such-file") == ceil_cpus(quota, period)


@pytest.mark.parametrize("text", [
    "max 100000\n", "max\n", "", "\n", "lots 100000", "400000 often", "400000", "1 2 3",
    "0 100000", "-5 100000", "400000 0", "400000 -1", "4e5 100000", "nan nan"])
def test_no_v2_quota_or_garbage_is_no_quota(tmp_path: Path, text: str) -> None:
    root = fake(tmp_path / "cg", {"cpu.max": text})
    assert cpus.cpu_quota(root, tmp_path / "no-such-file") is None


def test_a_file_that_is_not_text_or_a_missing_tree_is_no_quota(tmp_path: Path) -> None:
    root = fake(tmp_path / "cg", {"cpu.max": b"\xff\xfe4\x00 1\x00"})
    assert cpus.cpu_quota(root, tmp_path / "no-such-file") is None
    assert cpus.cpu_quota(tmp_path / "nothing", tmp_path / "no-such-file") is None
    (tmp_path / "dir" / "cpu.max").mkdir(parents=True)  # a folder where the file should be
    assert cpus.cpu_quota(tmp_path / "dir", tmp_path / "no-such-file") is None


@pytest.mark.parametrize(("quota", "period", "expected"), [
    ("200000\n", "100000\n", ceil_cpus(200000, 100000)),
    ("250000", "100000", ceil_cpus(250000, 100000)),
    ("10000", "100000", 1),
    ("-1\n", "100000\n", None),  # v1's "no quota"
    ("garbage", "100000", None), ("200000", "", None), ("200000", None, None),
    (None, "100000", None)])
def test_a_v1_quota(tmp_path: Path, quota: str | None, period: str | None,
                    expected: int | None) -> None:
    files = {**({"cpu/cpu.cfs_quota_us": quota} if quota is not None else {}),
             **({"cpu/cpu.cfs_period_us": period} if period is not None else {})}
    root = fake(tmp_path / "cg", {**files, "unrelated": ""})
    assert cpus.cpu_quota(root, tmp_path / "no-such-file") == expected


def test_the_process_cgroup_is_read_under_the_root_and_each_folder_above_it(
        tmp_path: Path) -> None:
    """A quota on the container's own cgroup (not on the root's): found through
    /proc/self/cgroup's "0::/path"; a parent's smaller quota limits it too."""
    own = tmp_path / "self-cgroup"
    own.write_text("12:cpu,cpuacct:/ignored\n0::/kubepods/pod7/box\n", encoding="ascii")
    root = fake(tmp_path / "cg", {"kubepods/pod7/box/cpu.max": "300000 100000\n",
                                  "kubepods/pod7/cpu.max": "max 100000\n",
                                  "elsewhere/cpu.max": "100000 100000\n"})
    assert cpus.cpu_quota(root, own) == ceil_cpus(300000, 100000)
    fake(root, {"kubepods/cpu.max": "200000 100000\n"})  # the parent's: smaller
    assert cpus.cpu_quota(root, own) == ceil_cpus(200000, 100000)
    fake(root, {"cpu.max": "100000 100000\n"})  # the root's: smaller still
    assert cpus.cpu_quota(root, own) == 1


def test_the_root_cpu_max_serves_when_the_own_path_has_none(tmp_path: Path) -> None:
    """A container's namespace shows its cgroup as "/" (or a path not mounted here): the
    root's cpu.max is its own."""
    root = fake(tmp_path / "cg", {"cpu.max": "600000 100000\n"})
    for line in ("0::/\n", "0::/docker/abc123\n", "0::/../../etc\n", "garbage\n", ""):
        own = tmp_path / "self-cgroup"
        own.write_text(line, encoding="ascii")
        assert cpus.cpu_quota(root, own) == ceil_cpus(600000, 100000), line
    assert cpus.cpu_quota(root, tmp_path / "no-such-file") == ceil_cpus(600000, 100000)


def test_v1_and_v2_both_set_give_the_smaller(tmp_path: Path) -> None:
    root = fake(tmp_path / "cg", {"cpu.max": "800000 100000",
                                  "cpu/cpu.cfs_quota_us": "300000",
                                  "cpu/cpu.cfs_period_us": "100000"})
    assert cpus.cpu_quota(root, tmp_path / "no-such-file") == 3


@pytest.mark.parametrize(("quota", "expected"), [(None, 64), (4, 4), (1, 1), (100, 64)])
def test_available_cpus_is_the_affinity_capped_by_the_quota(
        monkeypatch: pytest.MonkeyPatch, quota: int | None, expected: int) -> None:
    """A 64-core host (its affinity) with a quota of ``quota`` CPUs."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(cpus, "cpu_quota", lambda *a, **k: quota)
    assert cpus.available_cpus() == expected


def test_this_machine_reads_without_error() -> None:
    """Whatever this machine's cgroups say: a count of 1 or more, never an error."""
    quota = cpus.cpu_quota()
    assert quota is None or quota >= 1
    assert 1 <= cpus.available_cpus() <= (os.cpu_count() or 1)


def test_a_fit_asked_for_no_thread_count_keeps_to_the_quota(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The final fit (``training.make_backend`` without ``threads``) gets OpenMP's own count
    (0) with no quota, and at most the quota's CPUs under one: OpenMP counts the affinity."""
    from recommender.model.config import TrainConfig
    from recommender.model.training import make_backend

    monkeypatch.setattr(cpus, "cpu_quota", lambda *a, **k: None)
    assert make_backend(TrainConfig()).num_threads == 0
    monkeypatch.setattr(cpus, "cpu_quota", lambda *a, **k: 1)
    assert make_backend(TrainConfig()).num_threads == 1
    assert make_backend(TrainConfig(), threads=3).num_threads == 3  # asked for: as asked


def test_a_v1_quota_on_the_process_cgroup_or_above_it(tmp_path: Path) -> None:
    """Under cgroup v1 only ``root/cpu`` was read: a quota on the process's own cpu cgroup
    (/proc/self/cgroup's "N:cpu,cpuacct:/path" line), or on a folder above it, was missed.
    The smallest quota from the own folder up to the mount wins, as under v2."""
    own = tmp_path / "self-cgroup"
    own.write_text("11:memory:/ignored\n4:cpuacct,cpu:/kubepods/pod7/box\n"
                   "1:name=systemd:/elsewhere\n0::/unused\n", encoding="ascii")

    def v1(quota: int) -> dict[str, str]:
        return {"cpu.cfs_quota_us": f"{quota}\n", "cpu.cfs_period_us": "100000\n"}

    root = fake(tmp_path / "cg", {f"cpu/kubepods/pod7/box/{n}": t for n, t in v1(300000).items()}
                | {f"cpu/kubepods/pod7/{n}": t for n, t in v1(-1).items()}
                | {f"cpu/elsewhere/{n}": t for n, t in v1(100000).items()}
                | {f"memory/ignored/{n}": t for n, t in v1(100000).items()})
    assert cpus.cpu_quota(root, own) == ceil_cpus(300000, 100000)
    fake(root, {f"cpu/kubepods/{n}": t for n, t in v1(200000).items()})  # a parent's: smaller
    assert cpus.cpu_quota(root, own) == ceil_cpus(200000, 100000)
    fake(root, {f"cpu/{n}": t for n, t in v1(150000).items()})  # the mount's: smaller still
    assert cpus.cpu_quota(root, own) == ceil_cpus(150000, 100000)
    # a path not mounted here (the container sees its own cgroup at the mount): the mount's
    own.write_text("4:cpu,cpuacct:/docker/abc123\n", encoding="ascii")
    assert cpus.cpu_quota(root, own) == ceil_cpus(150000, 100000)
