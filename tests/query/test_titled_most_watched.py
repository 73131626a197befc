"""A title typed where a film id is asked for, of more films than the refusal lists, lists
the most watched of them first, as search ranks films of one title, and says how to see the
rest: of seven films called Hamlet it listed the first five of the model's order, hiding the
most watched, where the README promises "the best 5 films it matches".

Oracle: the viewer counts the test sets (each film watched by that many users of the log).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from small_logs import small_model

from recommender.model import artifact
from recommender.query.catalog import search_films
from service.app import create_app
from service.settings import Settings

VIEWERS = {"h-a": 2, "h-b": 3, "h-c": 9, "h-d": 4, "h-e": 8, "h-f": 7, "h-g": 6}
FILMS = [(fid, "Hamlet", 1990 + i) for i, fid in enumerate(VIEWERS)] + [
    ("h2", "Hamlet 2", 2008), ("x", "Heat", 1995)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("hamlets") / "model", FILMS,
                       viewers=[*VIEWERS.values(), 5, 1])


def test_the_most_watched_films_of_a_title_are_listed(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    best = sorted(VIEWERS, key=lambda f: -VIEWERS[f])  # h-c, h-e, h-f, h-g, h-d, then 2 more
    listed = ", ".join(f"{f} Hamlet ({1990 + list(VIEWERS).index(f)})" for f in best[:5])
    code, _, err = run_cli(capsys, "audience", model_dir, " hamlet ")
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.get(f"/films/{quote(' hamlet ')}/audience")
    assert code == 2 and r.status_code == 404
    for said in (err, r.json()["detail"]):
        assert (f"it is the title of 7 films: {listed} and 2 more (search for 'hamlet' to see "
                "them all): give the id of the one meant") in said, said
        assert "also matches titles: h2 Hamlet 2 (2008)" in said, said
    # the order search gives the films of that title
    _, rows = search_films(artifact.load(model_dir), "hamlet", limit=7)
    assert [r["film_id"] for r in rows] == best
