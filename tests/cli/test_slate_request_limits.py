"""A slate request's 50 films and 4,000 cinemas are the HTTP body's limits only: the CLI reads
a 51-film slate file and a 4,001-cinema screens file (README said "a slate request" without
saying the CLI is not one, and the two surfaces answered differently). Oracles: the files
written here and the schema's own refusal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, synthetic_model
from pydantic import ValidationError

from recommender.model import artifact
from service.slate_schemas import MAX_SLATE_CINEMAS, MAX_SLATE_FILMS, SlateScreensRequest

ROOT = Path(__file__).resolve().parents[2]


def test_the_cli_reads_files_past_the_http_requests_limits(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = synthetic_model(n_users=200, n_films=MAX_SLATE_FILMS + 5, seed=1)
    model.user_table.attributes["cinema"] = np.array([f"c{i % 4}" for i in range(200)])
    folder = artifact.save(model, tmp_path / "m")
    films = [str(f) for f in model.films.ids[:MAX_SLATE_FILMS + 1]]
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id\n" + "".join(f"{f}\n" for f in films))
    four = tmp_path / "four.csv"
    four.write_text("cinema_id,screens\n" + "".join(f"c{i},20\n" for i in range(4)))
    code, out, err = run_cli(capsys, "distribution", folder, "--slate", slate,
                             "--screens-per-cinema", four, "--json")
    assert code == 0, err
    assert len(json.loads(out)["films"]) == MAX_SLATE_FILMS + 1
    many = tmp_path / "many.csv"
    many.write_text("cinema_id,screens\n"
                    + "".join(f"c{i},1\n" for i in range(MAX_SLATE_CINEMAS + 1)))
    one = tmp_path / "one.csv"
    one.write_text(f"film_id\n{films[0]}\n")
    code, out, err = run_cli(capsys, "distribution", folder, "--slate", one,
                             "--screens-per-cinema", many, "--json")
    assert code == 0, err
    assert json.loads(out)["cinemas"] == MAX_SLATE_CINEMAS + 1
    # the HTTP body refuses the same sizes
    with pytest.raises(ValidationError, match="at most 50 items"):
        SlateScreensRequest(films=[{"film_id": f} for f in films])
    with pytest.raises(ValidationError, match="at most 4000 items"):
        SlateScreensRequest(films=[{"film_id": films[0]}], cinemas=[
            {"cinema_id": f"c{i}", "screens": 1} for i in range(MAX_SLATE_CINEMAS + 1)])
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert (f"A slate request holds at most {MAX_SLATE_FILMS} films and "
            f"{MAX_SLATE_CINEMAS:,} cinemas (a 422 past them); these are the HTTP request's "
            "limits only, and the CLI reads larger slate and screens files (`--slate` of "
            f"{MAX_SLATE_FILMS + 1} films, `--screens-per-cinema` of {MAX_SLATE_CINEMAS + 1:,} "
            "cinemas)") in readme
