"""``recommender segments`` prints each top genre's lift as ``--json`` gives it (3 decimals,
as a summary's lifts): it rounded to 2, so a genre whose lift is 1.002 read ``lift 1.00``
under a legend saying every top genre's lift is above 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import run_cli, synthetic_model

from recommender.model import artifact
from recommender.model.model import Segments


def test_genre_lifts_read_as_the_json_gives_them(tmp_path: Path, capsys: Any) -> None:
    m = synthetic_model(n_users=60, n_films=10, n_segments=2, seed=1)
    lifts = [[("Drama", 2.478), ("Comedy", 1.002)], [("Action", 1.13), ("Sci-Fi", 1.0049)]]
    info = [{**s, "top_genres": [{"genre": g, "lift": x} for g, x in lifts[i]]}
            for i, s in enumerate(m.segments.info)]
    m.segments = Segments(m.segments.labels, info)
    path = artifact.save(m, tmp_path / "model")
    code, out, _ = run_cli(capsys, "segments", path, "--json")
    assert code == 0
    rows = json.loads(out)["segments"]
    code, text, _ = run_cli(capsys, "segments", path)
    assert code == 0 and "(above 1)" in text
    for row in rows:
        said = ", ".join(f"{g['genre']} (lift {g['lift']:.3f})" for g in row["top_genres"])
        assert said in text, (said, text)
        assert all(g["lift"] > 1 for g in row["top_genres"])
    assert "lift 1.00)" not in text
