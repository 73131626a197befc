"""An erasure reads a stored opt-out as the erased id's form only where the plan read it so:
an opt-out the plan's model held as a user of its own (``" u1"``, a live user, beside an
erased ``u1``) stays that user's, at ``forget`` and in later plans; a later plan reads an
opt-out in another Unicode form as the erased id, as ``forget`` does; and the pseudonyms
``forget`` records are looked up once per batch, not once per id. Oracles: the planning model
itself (which ids it holds), the opt-outs stored before the erasure, and the statements the
store's engine ran (counted by a SQLAlchemy event listener)."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from helpers import synthetic_model

from recommender.campaigns.erasure import forget
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore, open_store
from recommender.io.ids import IdMap
from recommender.model.model import Model

NFC = unicodedata.normalize("NFC", "joão")
NFD = unicodedata.normalize("NFD", "joão")
LIVE = " u1"  # a user of the model, so spelt: a wrapped form of "u1" only in appearance


def _model(*own: str) -> Model:
    """A model whose first users are ``own`` (held as written), the rest ``user-NNNN``."""
    base = synthetic_model(n_users=60, n_films=8, seed=3)
    ids = np.asarray([*own, *(f"user-{i:04d}" for i in range(len(own), 60))])
    return dataclasses.replace(base, users=IdMap(ids),
                               user_table=dataclasses.replace(base.user_table, user_ids=ids))


def _plan(store: CampaignStore, model: Model, exclude: list[str]) -> dict[str, Any]:
    """Plan a one-film slate on ``model`` and store it, as ``plan --store`` does."""
    film = str(model.films.to_ids(np.array([0]))[0])
    plan = plan_slate(model, [SlateFilm(film, 5)], holdout=0.0, waves=1, exclude=exclude)
    return store.save_plan(plan.plan_id, plan.summary, plan.rows, excluded=exclude)


def test_a_live_users_wrapped_looking_opt_out_outlives_anothers_erasure(tmp_path: Path
                                                                       ) -> None:
    model = _model(LIVE)
    assert model.users.to_index([LIVE], strict=False).tolist() == [0]  # a user as written
    store = open_store(str(tmp_path / "s.db"))
    try:
        first = _plan(store, model, [LIVE, "'x", " u2"])  # " u2": the model holds none
        assert first["parameters"]["excluded_unknown_user_ids"] == ["'x", " u2"]
        done = forget(store, ["u1", "u2"])
        # " u1" is the model's own user: its opt-out stays; " u2" was read as u2: erased
        assert [(f.user_id, f.opt_outs) for f in done] == [("u1", 0), ("u2", 1)]
        left = store.excluded(first["plan_id"])
        assert LIVE in left and "'x" in left and " u2" not in left  # a next wave reads these
    finally:
        store.close()


def test_a_later_plan_keeps_a_model_users_opt_out_that_looks_like_an_erased_id(
        tmp_path: Path) -> None:
    model = _model(LIVE)
    store = open_store(str(tmp_path / "s.db"))
    try:
        forget(store, ["u1", "u2"])
        later = _plan(store, model, [LIVE, " u2"])  # " u2": no user of the model, read as u2
        assert later["parameters"].get("excluded_erased") == 1
        assert store.excluded(later["plan_id"]) == [LIVE]
    finally:
        store.close()


def test_an_opt_out_the_plan_read_in_another_form_is_erased_with_the_id(tmp_path: Path
                                                                        ) -> None:
    """The plan's note says the NFD opt-out was read as the model's NFC user: a form of it."""
    store = open_store(str(tmp_path / "s.db"))
    try:
        first = _plan(store, _model(NFC), [NFD])
        assert any(n["kind"] == "opt_out_form" for n in first["plan_notes"])
        assert NFD not in first["parameters"]["excluded_unknown_user_ids"]
        done = forget(store, [NFC])
        assert [f.opt_outs for f in done] == [1]
        assert store.excluded(first["plan_id"])[0].startswith("erased-")
    finally:
        store.close()


def test_a_later_plan_reads_the_other_unicode_form_as_the_erased_id(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    try:
        forget(store, [NFC])
        later = _plan(store, _model(), [NFD, "user-0009"])
        params = later["parameters"]
        assert params["excluded_erased"] == 1 and NFD not in params["excluded_unknown_user_ids"]
        assert store.excluded(later["plan_id"]) == ["user-0009"]
        # a model holding the NFD spelling as a user of its own: that user's opt-out, kept
        own = _plan(store, _model(NFD), [NFD])
        assert "excluded_erased" not in own["parameters"]
        assert store.excluded(own["plan_id"]) == [NFD]
    finally:
        store.close()


def test_a_next_wave_still_leaves_the_live_user_out(tmp_path: Path) -> None:
    """The next wave reads the chain's stored opt-outs byte for byte: after u1's erasure the
    model's own " u1", opted out of the first plan, is planned in none of its waves."""
    from recommender.campaigns.next_wave import prepare_next_wave

    model = _model(LIVE)
    film = str(model.films.to_ids(np.array([0]))[0])
    oracle = open_store(str(tmp_path / "oracle.db"))  # no opt-out: the next wave plans " u1"
    try:
        plan = plan_slate(model, [SlateFilm(film, 40)], holdout=0.0, waves=3)
        oracle.save_plan(plan.plan_id, plan.summary, plan.rows)
        nxt = prepare_next_wave(model, oracle, plan.plan_id, sent_waves=1)
        assert LIVE in set(nxt.plan.rows.column("user_id").to_pylist())
    finally:
        oracle.close()
    store = open_store(str(tmp_path / "s.db"))
    try:
        plan = plan_slate(model, [SlateFilm(film, 40)], holdout=0.0, waves=3, exclude=[LIVE])
        store.save_plan(plan.plan_id, plan.summary, plan.rows, excluded=[LIVE])
        forget(store, ["u1"])
        nxt = prepare_next_wave(model, store, plan.plan_id, sent_waves=1)
        assert LIVE in nxt.opted_out
        planned = set(nxt.plan.rows.column("user_id").to_pylist())
        assert planned and LIVE not in planned
    finally:
        store.close()
