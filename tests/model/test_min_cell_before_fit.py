"""A misconfigured ``RECOMMENDER_MIN_CELL`` is refused before any work, naming the variable, as
``RECOMMENDER_PROGRESS`` is: training read it only to merge small segments, after the search
and every fit (on ML-100K with tuning, a minute of work thrown away for a typo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.io import demo, readers
from recommender.model import training
from recommender.model.config import TrainConfig


def _counting_fits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fits ``training.train`` starts (its ``_fit`` and ``fit_factors``), counted."""
    calls: list[str] = []
    for name in ("_fit", "fit_factors"):
        real = getattr(training, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)
        monkeypatch.setattr(training, name, counted)
    return calls


@pytest.mark.parametrize("value, why", [("ten", "is not a whole number"),
                                        ("0", "must be at least 1"),
                                        ("", "is empty")])
def test_train_refuses_it_before_fitting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         value: str, why: str) -> None:
    data = readers.load(demo.generate(tmp_path / "d", seed=3, n_users=80, n_films=40,
                                           n_interactions=800, n_groups=3))
    calls = _counting_fits(monkeypatch)
    config = TrainConfig(factors=4, iterations=2)
    training.train(data, config, progress=False)
    assert calls  # the oracle: a well-set run fits
    calls.clear()
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", value)
    with pytest.raises(InvalidParameterError, match=f"RECOMMENDER_MIN_CELL='{value}' {why}"):
        training.train(data, config, progress=False)
    assert calls == []


def test_the_cli_refuses_it_before_reading_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 with the one line, before the log is read (a large one takes minutes) and with
    nothing written."""
    import recommender.cli.reading as reading

    data = demo.generate(tmp_path / "d", seed=3, n_users=80, n_films=40, n_interactions=800,
                         n_groups=3)
    reads: list[object] = []
    real = reading.load_said
    monkeypatch.setattr(reading, "load_said", lambda *a: reads.append(a) or real(*a))
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1O")
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune",
                 "--factors", "4", "--iterations", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "RECOMMENDER_MIN_CELL='1O' is not a whole number" in err
    assert reads == [] and not (tmp_path / "m").exists()
    monkeypatch.delenv("RECOMMENDER_MIN_CELL")
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune",
                 "--factors", "4", "--iterations", "2"]) == 0
    assert len(reads) == 1  # the oracle: the stand-in sees a read when one happens
