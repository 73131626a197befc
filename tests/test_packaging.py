"""The package as installed from a wheel or an sdist: dependency floors and install hints that
hold, and an sdist that carries its tests and no data."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SOURCES = sorted([*(ROOT / "recommender").rglob("*.py"), *(ROOT / "service").rglob("*.py")])

#: (distribution, first version that works, what in the sources needs it, why). Each was seen
#: failing below its floor with every other dependency at its own floor: a wheel installs
#: beside whatever versions an environment already holds, as long as pyproject admits them.
NEEDS = [
    ("numpy", "2.0", r"\bnp\.strings\.",
     "np.strings is numpy 2: at 1.26 every unknown id (CLI exit 1 with a traceback, HTTP 500 "
     "for the 404) and every title search of words under 3 letters raised AttributeError"),
    ("scipy", "1.12", r"\bisotonic_regression\b", "scipy.optimize.isotonic_regression"),
    ("scipy", "1.16", r"\blinprog\b",
     "HiGHS: at 1.15.0 the screen allocation of tests/distribution/test_slate.py's 2,000 "
     "cinemas ran past 5 minutes (2 s at 1.16); before 1.15 it aborted the interpreter "
     "(std::length_error) on the test oracles' programmes"),
    ("pyarrow", "22", r"\bquoting_header\b",
     "WriteOptions(quoting_header=) is pyarrow 22: before it every CSV export's header was "
     "quoted (\"film_id\",\"user_id\",...), against the contract's plain header"),
    ("threadpoolctl", "3.5", r"\bthreadpool_limits\b",
     "numpy 2's and scipy's wheels bundle libscipy_openblas, which threadpoolctl finds from "
     "3.5: before, threadpool_limits(blas_threads) limited nothing while serving"),
    ("fastapi", "0.130", r"\bpydantic_core\.to_json\b",
     "FastAPI writes a response model's body with pydantic's serializer from 0.130 (json.dumps "
     "before): the CLI's --json floats differed from the HTTP body's (0.000039, 3.9e-05 there)"),
    ("fastapi", "0.132", r"send the header",
     "FastAPI reads a body sent without a Content-Type as JSON before 0.132, so such a POST "
     "/events answered about its fields, not the header to send"),
    ("anyio", "4.1", r"\babandon_on_cancel\b",
     "to_thread.run_sync(abandon_on_cancel=) is anyio 4.1 (TypeError before it): an unknown "
     "film's 404 whose store count hangs goes on without it (service/film_events.py)"),
    ("pydantic", "2.10", r"\bmodel_version\b",
     "before 2.10 pydantic protects the model_ namespace: recommender serve printed a "
     "UserWarning for each model_version field; before 2.9 a described field's $ref was "
     "wrapped in allOf in /openapi.json"),
]


def _floor(name: str, requirements: list[str]) -> Version:
    for text in requirements:
        req = Requirement(text)
        if canonicalize_name(req.name) == canonicalize_name(name):
            lows = [Version(s.version) for s in req.specifier if s.operator in (">=", "==")]
            assert lows, f"{text!r} has no lower bound"
            return max(lows)
    raise AssertionError(f"{name} is not a dependency in pyproject.toml")


@pytest.mark.parametrize("name, version, pattern, why", NEEDS, ids=[n[0] + n[1] for n in NEEDS])
def test_dependency_floor_admits_no_version_the_code_fails_on(
        name: str, version: str, pattern: str, why: str) -> None:
    users = [p for p in SOURCES if re.search(pattern, p.read_text(encoding="utf-8"))]
    if not users:
        pytest.skip(f"nothing matches {pattern} any more")
    floor = _floor(name, PROJECT["dependencies"])
    assert floor >= Version(version), (
        f"pyproject admits {name} {floor}, but {users[0].relative_to(ROOT)} needs "
        f">= {version}: {why}")


def test_pandas_floor_of_the_spark_extra_runs_on_numpy_2() -> None:
    # pandas 2.2.2 is the first built for numpy 2 (its release notes); 2.2.0 and 2.2.1 fail
    # to import beside numpy >= 2, which the floor above requires
    assert _floor("pandas", PROJECT["optional-dependencies"]["spark"]) >= Version("2.2.2")


def _quoted_requirements(text: str) -> dict[str, Requirement]:
    out = {}
    for part in re.findall(r"'([^']+)'", text):
        try:
            req = Requirement(part)
        except InvalidRequirement:  # ".[spark]": a path, not a requirement
            continue
        out[canonicalize_name(req.name)] = req
    return out


def test_the_pyspark_hint_installs_outside_the_checkout() -> None:
    """``--engine spark`` without pyspark says what to install; ``pip install '.[spark]'``
    works only from a source checkout, so the hint names the distribution's extra, and the
    pyspark and pandas pins it spells out are the extra's own."""
    from recommender.spark.session import PYSPARK_INSTALL

    hint = _quoted_requirements(PYSPARK_INSTALL)
    name = canonicalize_name(PROJECT["name"])
    assert name in hint and hint[name].extras == {"spark"}, PYSPARK_INSTALL
    for text in PROJECT["optional-dependencies"]["spark"]:
        req = Requirement(text)
        shown = hint.get(canonicalize_name(req.name))
        assert shown is not None and shown.specifier == req.specifier, (PYSPARK_INSTALL, text)


def _carried(tree: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The files of ``tree`` that MANIFEST.in's rules add to an sdist, read by setuptools' own
    template reader (the packages, pyproject.toml, README.md and LICENSE come besides)."""
    filelist = pytest.importorskip("setuptools._distutils.filelist",
                                   reason="setuptools reads MANIFEST.in")
    manifest = ROOT / "MANIFEST.in"
    lines = manifest.read_text(encoding="utf-8").splitlines() if manifest.exists() else []
    monkeypatch.chdir(tree)
    files = filelist.FileList()
    files.findall()
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            files.process_template_line(line)
    return {Path(f).as_posix() for f in files.files}


def test_the_sdist_carries_what_make_test_needs_and_no_data(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """``python -m build --sdist`` carried the packages and the three tests/test_*.py that
    setuptools adds by default: not the tests' conftest, helpers and rooms, the benchmarks
    they read, the Makefile of ``make test``. Oracle: a tree with this checkout's tests,
    benchmarks, scripts and docs (empty files at their paths), beside data where data lies:
    benchmarks/data (generated logs), build/ (the demo's data and model), datasets/ (only its
    README is the project's; a real dataset dropped there is not)."""
    wanted = ["Makefile", ".ci/run", "datasets/README.md"]
    for folder in ("tests", "benchmarks", "scripts", "docs"):
        wanted += [rel for p in sorted((ROOT / folder).rglob("*")) if p.is_file()
                   and "__pycache__" not in p.parts
                   and not (rel := p.relative_to(ROOT).as_posix()).startswith("benchmarks/data/")]
    never = ["benchmarks/data/ml20m/interactions.csv", "build/demo-model/meta.json",
             "build/demo-data/interactions.csv", "datasets/ml-20m/ratings.csv",
             "tests/__pycache__/conftest.cpython-311.pyc"]
    for rel in wanted + never:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).touch()
    carried = _carried(tmp_path, monkeypatch)
    assert not sorted(set(wanted) - carried)[:10], "MANIFEST.in leaves these out of the sdist"
    assert not sorted(set(never) & carried), "MANIFEST.in puts data or build output in the sdist"


def test_make_lint_checks_every_folder_of_python_files() -> None:
    """`make test` (its `lint`) left scripts/ out of ruff: readme_examples.py and
    readme_results.py, which write the README's figures, went unchecked."""
    folders = {p.relative_to(ROOT).parts[0] for p in ROOT.glob("*/**/*.py")}
    ours = {f for f in folders if not f.startswith(".") and f not in {"build", "dist"}}
    ruff = next(line for line in (ROOT / "Makefile").read_text().splitlines()
                if "ruff check" in line)
    assert ours <= set(ruff.split()), ours - set(ruff.split())


# the script that writes each results file scripts/readme_results.py copies into the README
# (benchmarks/README.md's and the README's tables of reports say the same)
_WRITERS = {"quality": "quality.py", "quality_unseen": "quality.py",
            "spark_agreement": "spark_agreement.py", "planning": "bench_planning.py",
            "calibration": "bench_calibration.py", "distribution": "bench_distribution.py",
            "privacy_attack": "privacy_attack.py", "foldin": "bench_foldin.py",
            "intervals": "bench_intervals.py",
            "spark_export_memory": "bench_spark_export_memory.py", "headline": "run_all.py",
            "train": "run_all.py", "query": "run_all.py", "http": "run_all.py"}
# a kept record of a past run, which no run writes again (the README says so)
_FROZEN = {"quality_unseen_before"}


def _make_recipes() -> dict[str, list[str]]:
    recipes: dict[str, list[str]] = {}
    target = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^([\w-]+):", line):
            target = m.group(1)
            recipes[target] = []
        elif line.startswith("\t") and target:
            recipes[target].append(line.strip())
        elif not line.strip():
            target = None
    return recipes


def test_each_results_file_the_readme_quotes_has_a_make_target_that_copies_it() -> None:
    """`make bench-privacy` rewrote privacy_attack.md but not the README's two blocks of it
    (the README said the make target writes them), and foldin, intervals, planning,
    distribution and the Spark export's memory had no make target: a run left the README's
    copy stale until someone ran scripts/readme_results.py by hand."""
    source = (ROOT / "scripts" / "readme_results.py").read_text(encoding="utf-8")
    read = set(re.findall(r'RESULTS / "(\w+)\.(?:md|json)"', source)) - _FROZEN
    assert read, "no results file found in readme_results.py"
    recipes = _make_recipes()
    missing = []
    for name in sorted(read):
        script = f"benchmarks/{_WRITERS[name]}"
        ok = any(
            any(script in line for line in lines)
            and any("scripts/readme_results.py" in line
                    for line in lines[next(i for i, x in enumerate(lines) if script in x):])
            for lines in recipes.values())
        if not ok:
            missing.append(f"{name} ({script})")
    assert not missing, missing
