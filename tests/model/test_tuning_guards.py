"""What tuning inside ``train`` leaves as given: a fixed alpha is never rescaled, ``--min-rating``
films stay watched in the validation ranking, a log with nothing to measure is not "searched",
and options a model family does not read are refused rather than ignored.

Oracles: the trials' own parameters; the seen matrix the validation ranking receives against
the planted low ratings; the JSON standard (no NaN tokens in meta.json).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp
from helpers import run_cli
from test_tuning import planted_groups

from recommender.errors import DataError
from recommender.io.dataset import Interactions
from recommender.model import layout, trials, tuning
from recommender.model.config import TrainConfig
from recommender.model.training import train

QUICK = TrainConfig(factors=8, iterations=4, segments=2, tune=True)


def rated(low_share: float = 0.3, seed: int = 3) -> tuple[Interactions, np.ndarray]:
    """The planted groups with ratings: a seeded ``low_share`` rated 1, the rest 5."""
    base = planted_groups(seed=seed)
    low = np.random.default_rng(seed).random(len(base)) < low_share
    data = Interactions.from_columns(
        pa.array(base.users.ids[base.user_idx]), pa.array(base.films.ids[base.film_idx]),
        rating=np.where(low, 1.0, 5.0), source="rated")
    assert np.array_equal(data.films.ids[data.film_idx], base.films.ids[base.film_idx])
    return data, low


def test_a_fixed_alpha_is_never_rescaled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The weighting stage tries each scheme at the same alpha only when alpha is fixed (it
    used to add a rescaled alpha too, and could choose it)."""
    monkeypatch.setattr(tuning, "FACTORS", ())
    data, _ = rated()
    cfg = replace(QUICK, alpha=3.0, fixed=("alpha", "factors"))
    chosen, report = tuning.tune(data, cfg)
    assert report["status"] == "searched"
    assert {t["params"]["alpha"] for t in report["trials"]} == {3.0}
    assert len({t["params"]["weighting"] for t in report["trials"]}) > 1
    assert chosen.alpha == 3.0


def test_min_rating_films_stay_watched_in_the_validation_ranking(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The search fits on the liked interactions, but the validation ranking it scores never
    offers a user a film they rated low (nor puts them in its audience): every training
    interaction, low ones included, is in the seen matrix it is given."""
    monkeypatch.setattr(tuning, "FACTORS", ())
    data, low = rated()
    seen_given: list[sp.csr_matrix] = []
    real = trials.query_recalls

    def spy(uf: Any, ff: Any, seen: sp.csr_matrix, held: sp.csr_matrix, *a: Any, **k: Any
            ) -> Any:
        seen_given.append(seen)
        return real(uf, ff, seen, held, *a, **k)

    fitted_on: list[int] = []
    real_fit = trials.fit_factors

    def fit_spy(x: sp.csr_matrix, *a: Any, **k: Any) -> Any:
        fitted_on.append(int(x.nnz))
        return real_fit(x, *a, **k)

    monkeypatch.setattr(trials, "query_recalls", spy)
    monkeypatch.setattr(trials, "fit_factors", fit_spy)
    cfg = replace(QUICK, min_rating=3.0, fixed=("factors", "weighting"))
    # train hands the search every watch of its fit part (here all: no calibration holdout)
    given: list[int] = []
    real_tune = tuning.tune

    def tune_spy(d: Interactions, c: TrainConfig, progress: bool = False) -> Any:
        given.append(len(d))
        return real_tune(d, c, progress)

    monkeypatch.setattr(tuning, "tune", tune_spy)
    train(data, replace(cfg, holdout=0.0), progress=False)
    assert given == [len(data)]
    seen = seen_given[0]
    # the search's validation split, as tune draws it for a log without timestamps
    key = np.random.default_rng(cfg.seed + 1).permutation(len(data)).astype(np.int64)
    held = tuning.per_user_latest(data.user_idx, key, tuning.VALIDATION_SHARE)
    training_low = low & ~held
    assert training_low.any()
    rows = np.flatnonzero(np.bincount(data.user_idx, minlength=data.n_users) > 0)
    at = np.searchsorted(rows, data.user_idx[training_low])
    assert np.all(seen[at, data.film_idx[training_low]] > 0)
    assert seen.nnz == int((~held).sum())
    assert set(fitted_on) == {int((~low & ~held).sum())}, "the fit reads the liked ones only"


def test_a_log_with_nothing_to_measure_is_not_searched(tmp_path: Path) -> None:
    """One user: no film has held-out viewers among other users, so every objective is NaN;
    the search says so and meta.json stays standard JSON."""
    films = [f"f{i}" for i in range(30)]
    data = Interactions.from_columns(pa.array(["u1"] * 30), pa.array(films), source="one")
    _, report = tuning.tune(data, QUICK)
    assert report["status"].startswith("not run: the validation split leaves nothing")
    # the trials it ran are counted apart ("trials" is a list wherever it is recorded: as a
    # count, tuning.timeless failed on it)
    assert report["trials_run"] > 0 and "trials" not in report
    assert tuning.timeless(report)["trials_run"] == report["trials_run"]
    log = tmp_path / "one.csv"
    log.write_text("user_id,film_id\n" + "".join(f"u1,{f}\n" for f in films))
    out = tmp_path / "model"
    from recommender.cli import main

    assert main(["train", "--data", str(log), "--out", str(out), "--factors", "4",
                 "--segments", "1"]) == 0

    def no_nan(word: str) -> None:
        raise AssertionError(f"meta.json holds {word}")

    text = (layout.resolve(out) / "meta.json").read_text(encoding="utf-8")
    assert json.loads(text, parse_constant=no_nan)["tuning"]["status"].startswith("not run")


def test_a_log_whose_candidates_all_make_the_cut_is_not_searched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """At most 100 users and 20 films: every audience and every user's list ranks all of its
    candidates within recall's cut, so every trial scores 1; a 20-row log ran 24 trials and
    said 'searched', chose the defaults, validation objective 1.0."""
    rng = np.random.default_rng(0)
    rows = sorted({(f"u{u}", f"f{f}") for u in range(30) for f in rng.choice(15, 6, False)})
    data = Interactions.from_columns(pa.array([u for u, _ in rows]),
                                     pa.array([f for _, f in rows]), source="small")
    chosen, report = tuning.tune(data, QUICK)
    assert report["status"].startswith("not run: the validation split cannot tell settings "
                                       "apart: its 30 users and 15 films")
    assert chosen == QUICK and "trials" not in report
    log = tmp_path / "small.csv"
    log.write_text("user_id,film_id\n" + "".join(f"{u},{f}\n" for u, f in rows))
    code, out, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                             "--factors", "4", "--segments", "1")
    assert code == 0, err
    assert "tuning: not run: the validation split cannot tell settings apart" in out


def test_a_dense_log_whose_candidates_all_make_the_cut_is_not_searched() -> None:
    """Over 100 users, but each film seen by most of them: a film leaves at most 71 unseen
    users to rank, a user at most 7 unseen films, all within both cuts, and the 27 trials
    all scored 1.0 and said 'searched' (the rule counted users and films, not candidates)."""
    rng = np.random.default_rng(0)
    rows = sorted({(f"u{u}", f"f{f}") for u in range(130) for f in rng.choice(15, 10, False)})
    data = Interactions.from_columns(pa.array([u for u, _ in rows]),
                                     pa.array([f for _, f in rows]), source="dense")
    chosen, report = tuning.tune(data, QUICK)
    assert report["status"].startswith("not run: the validation split cannot tell settings "
                                       "apart: its 130 users and 15 films"), report["status"]
    assert chosen == QUICK and "trials" not in report
    sparse = sorted({(f"u{u}", f"f{f}") for u in range(130) for f in rng.choice(15, 3, False)})
    data = Interactions.from_columns(pa.array([u for u, _ in sparse]),
                                     pa.array([f for _, f in sparse]), source="sparse")
    assert tuning.tune(data, QUICK)[1]["status"] == "searched"  # audiences are cut there


def test_min_rating_needs_ratings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = planted_groups()
    with pytest.raises(DataError, match="--min-rating 4 needs ratings"):
        train(data, replace(QUICK, tune=False, min_rating=4.0), progress=False)
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--min-rating", "4")
    assert code == 2 and "needs ratings" in err and not (tmp_path / "m").exists()


def test_ease_refuses_options_only_als_reads(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--family", "ease", "--alpha", "7", "--iterations", "3")
    assert code == 2 and "--family ease does not read --alpha, --iterations" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("options", "words"), [
    (["--family", "ease", "--model", "bpr"], "--family ease does not read --model"),
    (["--family", "als", "--ease-lambda", "5"], "--family als does not read --ease-lambda"),
    # without tuning the family is ALS: the lambda was recorded as fixed and never read
    (["--no-tune", "--ease-lambda", "5"], "without tuning (--no-tune) the family is ALS"),
    # regularization or alpha fixed: the search keeps ALS (no family stage), and the lambda
    # was recorded as fixed and never read, while --iterations with it was refused
    (["--alpha", "5", "--ease-lambda", "5"], "with --alpha set (ALS's) the search keeps"),
    (["--regularization", "5", "--ease-lambda", "5"], "with --regularization set (ALS's)"),
])
def test_a_family_refuses_the_other_familys_options(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str],
        words: str) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m", *options)
    assert code == 2 and words in err


def test_a_hand_written_configs_ease_lambda_without_tuning_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A config with "tune": false and an ease_lambda but no family fitted ALS and recorded
    the lambda as fixed; a meta.json (which names its family) is still taken as written."""
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    config = tmp_path / "cfg.json"
    config.write_text('{"tune": false, "ease_lambda": 100}')
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--config", config)
    assert code == 2 and "ease_lambda (100) in --config" in err
    assert "the config's \"tune\": false" in err and not (tmp_path / "m").exists()


def _timestamped(seed: int = 4) -> Interactions:
    """The planted groups with seeded timestamps (so the search validates on the latest)."""
    base = planted_groups(seed=seed)
    ts = np.random.default_rng(seed).integers(1_000_000, 2_000_000, len(base))
    return Interactions.from_columns(
        pa.array(base.users.ids[base.user_idx]), pa.array(base.films.ids[base.film_idx]),
        timestamp=ts, source="timestamped")


def _pairs(u: np.ndarray, f: np.ndarray, n_films: int) -> set[int]:
    return set((np.asarray(u, np.int64) * n_films + np.asarray(f, np.int64)).tolist())


def _spy_search(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Interactions, sp.csr_matrix]]:
    monkeypatch.setattr(tuning, "FACTORS", ())
    got: list[tuple[Interactions, sp.csr_matrix]] = []
    real = tuning.Search.__init__

    def spy(self: Any, train_part: Interactions, held: sp.csr_matrix, *a: Any) -> None:
        got.append((train_part, held))
        real(self, train_part, held, *a)

    monkeypatch.setattr(tuning.Search, "__init__", spy)
    return got


def test_the_search_never_sees_the_calibration_holdout(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """README: the tier-calibration holdout is never seen by the search. Oracle: the holdout
    mask train draws (the latest 10% by timestamp); no pair of it is in the search's
    training part or its validation part, and the two together are the rest of the log."""
    from recommender.model.training import holdout_mask

    data = _timestamped()
    got = _spy_search(monkeypatch)
    cfg = replace(QUICK, fixed=("factors",))
    train(data, cfg, progress=False)
    (search_train, held), = got
    n = data.n_films
    hold = holdout_mask(data, cfg.holdout, cfg.seed)
    assert hold.any()
    calib = _pairs(data.user_idx[hold], data.film_idx[hold], n)
    rest = _pairs(data.user_idx[~hold], data.film_idx[~hold], n)
    h = held.tocoo()
    validation = _pairs(h.row, h.col, n)
    fitted = _pairs(search_train.user_idx, search_train.film_idx, n)
    assert not calib & validation and not calib & fitted
    assert validation | fitted == rest and not validation & fitted


def test_the_validation_split_is_each_users_latest_share(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """README: the search validates on each user's latest 20% of interactions when the log
    has timestamps. Oracle: per user, by (timestamp, row), the last round(0.2 x count)."""
    data = _timestamped()
    got = _spy_search(monkeypatch)
    tuning.tune(data, replace(QUICK, fixed=("factors",)))
    (_, held), = got
    want: set[int] = set()
    assert data.timestamp is not None
    for u in np.unique(data.user_idx):
        rows = np.flatnonzero(data.user_idx == u)
        rows = rows[np.lexsort((rows, data.timestamp[rows]))]
        m = int(np.rint(tuning.VALIDATION_SHARE * len(rows)))
        if m:
            want |= _pairs(np.full(m, u), data.film_idx[rows[-m:]], data.n_films)
    h = held.tocoo()
    assert want and _pairs(h.row, h.col, data.n_films) == want


class _Objective:
    """A search stub: each regularization's objective from a table (standard error 0.01), the
    margin rule as ``trials.Search.best`` applies it, and every value run recorded."""

    def __init__(self, objective: dict[float, float]) -> None:
        self.objective = objective
        self.tried: list[float] = []

    def run(self, params: dict[str, Any]) -> dict[str, Any]:
        self.tried.append(params["regularization"])
        return {"params": params, "objective": self.objective[params["regularization"]],
                "standard_error": 0.01}

    def best(self, candidates: list[dict[str, Any]]) -> dict[str, Any]:
        results = [self.run(p) for p in candidates]
        challenger = max(results[1:], key=trials.score, default=results[0])
        bar = trials.score(results[0]) + trials.MARGIN * 0.01
        return challenger if trials.score(challenger) > bar else results[0]


def _steps(objective: dict[float, float], best: float, lead: float
           ) -> tuple[float, float, list[float]]:
    stub = _Objective(objective)
    won, led = tuning._edge_steps(
        cast(trials.Search, stub), stub.run({"regularization": best}),
        stub.run({"regularization": lead}), "regularization", [30.0, 10.0, 100.0])
    return won["params"]["regularization"], led["params"]["regularization"], stub.tried


def test_equal_timestamps_validate_on_a_seeded_random_share(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Every interaction at one timestamp: "each user's latest 20%" was each user's last rows
    in the file, and the report said "latest". Oracle: the seeded random split the search
    draws for the same log without timestamps, and the report's word for it."""
    data = _timestamped()
    assert data.timestamp is not None
    same = replace(data, timestamp=np.full(len(data), 1_600_000_000, np.int64))
    none = replace(data, timestamp=None)
    cfg = replace(QUICK, fixed=("factors",))
    got = _spy_search(monkeypatch)
    reports = [tuning.tune(d, cfg)[1] for d in (same, none)]
    (_, held_same), (_, held_none) = got
    assert (held_same != held_none).nnz == 0
    assert [r["validation"]["split"].split(" 20%")[0] for r in reports] == ["seeded random"] * 2


def test_a_lower_edge_takes_its_second_step_as_an_upper_edge_does() -> None:
    """EDGE_STEPS steps past either edge of a grid while each step wins: the value tried below
    the grid was rounded (3.333333) and the grid kept 10 / 3 unrounded, so the winner was off
    the grid's edge and the search stopped after one step down (two up: 100, 300, 900)."""
    down = {1.111111: 0.9, 3.333333: 0.8, 10.0: 0.7}
    up = {100.0: 0.7, 300.0: 0.8, 900.0: 0.9}
    assert tuning.EDGE_STEPS == 2
    assert _steps(down, 10.0, 10.0)[:2] == (1.111111, 1.111111)
    assert sorted(set(_steps(down, 10.0, 10.0)[2])) == [1.111111, 3.333333, 10.0]
    assert _steps(up, 100.0, 100.0)[:2] == (900.0, 900.0)


def test_the_steps_start_from_the_grids_leader_not_only_from_its_winner() -> None:
    """The grid's corner led without winning by the margin (0.505 against the incumbent's
    0.50, standard error 0.01): the steps went from the incumbent, inside the grid, so none
    was taken, and the value past the corner (0.53, a win by three errors) was never tried.
    A step that leads without winning moves the leader on, not the incumbent; a step that
    falls back stops."""
    table = {30.0: 0.50, 100.0: 0.505, 300.0: 0.53, 900.0: 0.52}
    won, led, tried = _steps(table, 30.0, 100.0)
    assert (won, led) == (300.0, 300.0) and 900.0 in tried  # the second step fell back
    small = {30.0: 0.50, 100.0: 0.505, 300.0: 0.507, 900.0: 0.509}
    assert _steps(small, 30.0, 100.0)[:2] == (30.0, 900.0)  # led, never won by the margin


def test_equal_timestamps_hold_out_for_calibration_as_no_timestamps_do() -> None:
    """The calibration holdout, its momentum window and the prior's recent counts took "the
    latest 10%" of a log whose timestamps are all equal: its last rows in the file, reported as
    "latest". Oracle: the model trained on the same log without timestamps (same seed); every
    fitted array and the calibration are the same, and the holdout is named random."""
    from recommender.model.training import holdout_mask

    data = _timestamped()
    same = replace(data, timestamp=np.full(len(data), 1_600_000_000, np.int64))
    none = replace(data, timestamp=None)
    assert np.array_equal(holdout_mask(same, 0.1, 5), holdout_mask(none, 0.1, 5))
    cfg = TrainConfig(factors=8, iterations=4, segments=2, popularity=0.5)
    a, b = (train(d, cfg, progress=False) for d in (same, none))
    assert a.calibration["holdout"].startswith("random")
    assert json.dumps(a.calibration, sort_keys=True) == json.dumps(b.calibration, sort_keys=True)
    assert a.film_prior is not None and b.film_prior is not None
    for got, want in ((a.user_factors, b.user_factors), (a.film_factors, b.film_factors),
                      (a.film_prior, b.film_prior)):
        assert np.array_equal(got, want)


def test_single_interaction_users_are_said_to_be_why_nothing_is_searched() -> None:
    """Each user holds out a rounded 20% of their interactions: with one or two each, none is
    held out, and the search said "too few interactions to validate on" of 200 of them."""
    users = [f"u{i}" for i in range(100) for _ in range(2)]
    films = [f"f{(i + j) % 30}" for i in range(100) for j in range(2)]
    data = Interactions.from_columns(pa.array(users), pa.array(films), source="pairs")
    _, report = tuning.tune(data, QUICK)
    assert report["status"] == ("not run: no user has the 3 or more interactions needed to "
                                "hold one out for validation")


def test_equal_timestamps_are_named_in_the_horizon() -> None:
    """The horizon said "(no timestamps)" of a log whose timestamps are all equal."""
    from recommender.model.calibration import horizon

    data = _timestamped()
    same = replace(data, timestamp=np.full(len(data), 1_600_000_000, np.int64))
    model = train(same, TrainConfig(factors=8, iterations=4, segments=2), progress=False)
    assert "the log has no timestamps, or all are equal" in \
        horizon(model.calibration)["description"]


def test_a_setting_the_search_offers_that_cannot_be_fitted_is_never_chosen(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The weighting stage tries ``rating`` on a rated log: where that fit diverged (ratings of
    1e12 here, at the stage's alpha) its error ended ``train``, on a log whose default binary
    weighting fits, telling the user to train with --weighting binary. The trial is recorded
    as not fitted and the search goes on; the starting point's own failure is still the error
    (the final fit would fail the same way). Oracle: the stand-in fit fails exactly the
    ``rating`` trials."""
    from recommender.errors import InvalidParameterError

    real = trials.fit_factors

    def diverging(matrix: sp.csr_matrix, cfg: TrainConfig, *a: Any, **k: Any) -> Any:
        if cfg.weighting == "rating":
            raise InvalidParameterError("the als fit diverged (NaN encountered in factors)")
        return real(matrix, cfg, *a, **k)

    monkeypatch.setattr(trials, "fit_factors", diverging)
    monkeypatch.setattr(tuning, "FACTORS", ())
    data, _ = rated()
    chosen, report = tuning.tune(data, QUICK)
    assert report["status"] == "searched" and chosen.weighting != "rating"
    failed = [t for t in report["trials"] if "failed" in t]
    assert failed and all(t["params"]["weighting"] == "rating" and t["objective"] is None
                          and "diverged" in t["failed"] for t in failed)
    assert all("failed" not in t for t in report["trials"] if t["params"]["weighting"] != "rating")
    json.dumps(report, allow_nan=False)  # meta.json stays standard JSON
    with pytest.raises(InvalidParameterError, match="diverged"):
        tuning.tune(data, replace(QUICK, weighting="rating"))
