"""A re-plan of a next wave is not shaped by the next waves it replaces.

A plan may get several next waves, of which only one is sent (``with_warning``); each plans
the same remaining budget. The controls of the earlier ones were left out of every later one
as "held out elsewhere" (``controls.blocked_pairs`` skipped only the chain), so the same
``--after PLAN --seed N`` gave another plan each time it ran (45 of 444 pairs differed on the
demo) and every re-plan lost more of each film's audience to controls never held out."""

from __future__ import annotations

from pathlib import Path

from helpers import synthetic_model

from recommender.campaigns.next_wave import plan_next_wave, prepare_next_wave
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store


def _pairs(rows: object) -> list[tuple[str, str, int, str]]:
    cols = ("film_id", "user_id", "wave", "group")
    return sorted(zip(*(rows.column(c).to_pylist() for c in cols), strict=True))  # type: ignore[attr-defined]


def test_the_same_seed_gives_the_same_next_wave_however_often_it_is_planned(
        tmp_path: Path) -> None:
    m = synthetic_model(n_users=600, n_films=6, seed=3)
    store = open_store(str(tmp_path / "s.db"))
    slate = [SlateFilm(str(m.films.ids[0]), 90), SlateFilm(str(m.films.ids[1]), 60, 2.0)]
    first = plan_slate(m, slate, cap=2, holdout=0.2, waves=3, seed=1)
    store.save_plan(first.plan_id, first.summary, first.rows)
    one = plan_next_wave(m, store, first.plan_id, sent_waves=1, seed=5)
    two = plan_next_wave(m, store, first.plan_id, sent_waves=1, seed=5)
    assert "already has 1 next wave" in two.summary["warning"]
    assert two.summary["held_out_elsewhere"]["pairs"] == 0
    assert _pairs(one.rows) == _pairs(two.rows)
    # a next wave of the re-plan: the first next wave, never sent, holds nobody out either
    third = plan_next_wave(m, store, two.plan_id, sent_waves=1, seed=5)
    assert third.summary["held_out_elsewhere"]["pairs"] == 0


def test_a_next_wave_down_the_chain_may_contact_an_alternative_s_controls(
        tmp_path: Path) -> None:
    """``blocked_pairs`` leaves the other next waves of every plan of the chain to a next
    wave; the store's check of plans stored meanwhile (``controls.refuse_held_out``) skipped
    only the next waves of its own previous plan, so a next wave of a re-plan that contacted
    a pair the first, unsent next wave held out was refused as a clash."""
    import pyarrow as pa
    import pyarrow.compute as pc

    m = synthetic_model(n_users=600, n_films=6, seed=3)
    store = open_store(str(tmp_path / "s.db"))
    slate = [SlateFilm(str(m.films.ids[0]), 90)]
    first = plan_slate(m, slate, cap=2, holdout=0.2, waves=3, seed=1)
    store.save_plan(first.plan_id, first.summary, first.rows)
    one = plan_next_wave(m, store, first.plan_id, sent_waves=1, seed=5)
    two = plan_next_wave(m, store, first.plan_id, sent_waves=1, seed=6)
    controls = one.rows.filter(pc.equal(one.rows.column("group"), "control"))
    assert controls.num_rows
    # a next wave of the re-plan `two` that contacts what `one` (its alternative) held out
    rows = controls.set_column(controls.schema.get_field_index("plan_id"), "plan_id",
                               pa.array(["p-down"] * controls.num_rows))
    rows = rows.set_column(rows.schema.get_field_index("group"), "group",
                           pa.array(["target"] * rows.num_rows))
    summary = {"held_out_elsewhere": {"left_out": True}, "previous_plan_id": two.plan_id,
               "sent_waves": 1, "events_seq": two.summary["events_seq"]}
    store.save_plan("p-down", summary, rows, link={
        "previous_plan_id": two.plan_id, "sent_waves": 1,
        "events_seq": two.summary["events_seq"]})
    assert "p-down" in [p["plan_id"] for p in store.list_plans()[1]]


def test_a_next_wave_of_an_alternative_holds_nobody_out_of_the_sent_branch(
        tmp_path: Path) -> None:
    """``first`` has two next waves, ``one`` and ``two`` (re-plans: one of them is sent), and
    ``two`` a next wave of its own. A next wave of ``one`` left out the 37 pairs the next wave
    of ``two`` selects (only the chain's plans' own next waves were skipped), so it differed
    from the same plan made without that branch; stored while it was made, that branch's next
    wave had the store refuse it as a clash."""
    m = synthetic_model(n_users=600, n_films=6, seed=3)
    store = open_store(str(tmp_path / "s.db"))
    slate = [SlateFilm(str(m.films.ids[0]), 90)]
    first = plan_slate(m, slate, cap=2, holdout=0.2, waves=3, seed=1)
    store.save_plan(first.plan_id, first.summary, first.rows)
    one = plan_next_wave(m, store, first.plan_id, sent_waves=1, seed=5)
    two = plan_next_wave(m, store, first.plan_id, sent_waves=1, seed=6)
    before = prepare_next_wave(m, store, one.plan_id, sent_waves=1, seed=8)
    plan_next_wave(m, store, two.plan_id, sent_waves=1, seed=7)  # the unsent branch goes on
    after = prepare_next_wave(m, store, one.plan_id, sent_waves=1, seed=8)
    assert after.plan.summary["held_out_elsewhere"]["pairs"] == 0
    assert _pairs(after.plan.rows) == _pairs(before.plan.rows)
    before.save(store)  # made before that branch's next wave was stored: no clash either
    store.close()
