"""benchmarks/privacy_attack.py on two demo films: it runs, and it pins what is left bare."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import demo_model, load_benchmark


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return demo_model(tmp_path_factory)[1]


@pytest.mark.slow
def test_attack_reads_two_films_and_writes_its_counts(demo: Any) -> None:
    attack = load_benchmark("privacy_attack")
    films = [str(f) for f in demo.films.ids.tolist()[:2]]
    result = attack.attack(demo, films, 10)
    assert result["films_attacked"] == 2 and result["film_ids"] == films
    assert result["linear_programmes"] > 0
    assert sum(result["pinned_by_attribute"].values()) == result["pinned"]
    assert all(0 < g["users"] < 10 and g["most"] - g["least"] < 0.5 for g in result["groups"])
    page = attack.markdown({**result, "model": {"model_version": "v", "users": 1, "films": 1,
                                                "sha256": "0" * 64}})
    assert "## Summary" in page and f"on {result['films_with_pinned']} of 2 films" in page


@pytest.mark.slow
def test_attack_pins_small_groups_a_summary_shows(demo: Any, monkeypatch: Any) -> None:
    """Not a vacuous attack: with summaries that hide nothing (minimum cell 1) it pins the
    groups of 1 to 9 users they show, in a ring and outside it."""
    attack = load_benchmark("privacy_attack")
    bare = attack.audience_summary
    monkeypatch.setattr(attack, "audience_summary",
                        lambda *a, **k: bare(*a, **{**k, "min_cell": 1}))
    film = str(demo.films.ids[0])
    result = attack.attack(demo, [film], 10)
    assert result["pinned"] > 0
    assert {"gender", "segment"} <= set(result["pinned_by_attribute"])
