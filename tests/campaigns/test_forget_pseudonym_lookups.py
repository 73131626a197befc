"""``forget`` with a pseudonym key looks the pseudonyms' digests up once per batch of 500,
not once per id: 3,000 ids made 3,000 look-ups of the whole list inside the writers' lock.
Oracle: the statements the store's engine ran, counted by a SQLAlchemy event listener, and
the erasure rows read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from recommender.campaigns.erasure import forget
from recommender.campaigns.store import open_store


def test_forget_with_a_pseudonym_key_looks_the_digests_up_once(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    ids = [f"person-{i:05d}" for i in range(1_200)]
    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "campaign_erasures" in statement:
            selects.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        done = forget(store, ids, pseudonym_keys=[b"k" * 32])
        assert len(done) == len(ids)
        # the ids' digests (3 chunks of 500) and their pseudonyms' (3 more), not 1,200 x 3
        assert len(selects) <= 4 * -(-len(ids) // 500), len(selects)
        with store.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT COUNT(*) FROM campaign_erasures")).scalar_one()
        assert rows == 2 * len(ids)  # each id's digest and its pseudonym's
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
        store.close()
