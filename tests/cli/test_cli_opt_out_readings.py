"""``plan --exclude`` leaves out every user a line of the opt-out list may name: a cell
'"q"' cut from a plan CSV (user "q") named user '"q"' alone when the model held both, and
the opted-out "q" was planned."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa

from recommender.cli import main
from recommender.io.dataset import Interactions
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.training import train


def test_an_opt_out_line_two_users_may_be_excludes_both(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    users = [f"u{i}" for i in range(120)] + ["q", '"q"']
    pairs = [(u, f"f{f}") for u in users for f in rng.choice(40, 6, replace=False)]
    log = Interactions.from_columns(pa.array([u for u, _ in pairs]),
                                    pa.array([f for _, f in pairs]), source="opt-outs")
    artifact.save(train(log, TrainConfig(factors=4, iterations=3, segments=2, tune=False),
                        progress=False), tmp_path / "m")
    (tmp_path / "slate.csv").write_text("film_id,budget\nf1,200\nf2,200\n")
    (tmp_path / "ex.txt").write_text('"q"\n')
    out = tmp_path / "p.csv"
    assert main(["plan", str(tmp_path / "m"), "--slate", str(tmp_path / "slate.csv"),
                 "--out", str(out), "--exclude", str(tmp_path / "ex.txt")]) == 0
    with out.open(newline="") as f:
        planned = {row["user_id"] for row in csv.DictReader(f)}
    assert len(planned) > 100
    assert not planned & {"q", '"q"'}, planned & {"q", '"q"'}
