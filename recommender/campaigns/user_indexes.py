"""Migration step 9: the store's user ids indexed first, for the look-up of a batch's users.

``events import`` and ``POST /events`` ask the store whether it holds each distinct id of a
batch cut with its spreadsheet-safe quote (``sheet_ids``: ``'+336123400489``), and the id it
quotes, in plan rows, opt-outs and events; none of those tables was indexed by ``user_id``
first (plan rows and events by film, then user; opt-outs by plan, then user), so each look-up
read whole tables, its time growing with the store's rows (a CRM keyed by phone numbers quotes
every id); with these indexes, one index search per id. ``benchmarks/bench_store_lookups.py``
times a batch of quoted phone numbers looked up beside many plan rows and events, with these
indexes and without them, and what they cost each write of events and to build
(``benchmarks/results/store_lookups.md``; SQLite). Step 9 of ``store.MIGRATIONS`` runs
``create_tables`` here (the name of every step a module adds); ``campaign copy``'s target gets
them as it is migrated. Step 11 drops the plan rows' one for an index by (user, film, plan,
wave) (``store_tables.COUNT_INDEX``), which serves the same look-ups.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

#: index name -> the table it indexes by ``user_id``
USER_INDEXES = {"ix_campaign_plan_rows_user": "campaign_plan_rows",
                "ix_campaign_plan_exclusions_user": "campaign_plan_exclusions",
                "ix_campaign_events_user": "campaign_events"}


def create_tables(conn: Connection) -> None:
    """Migration step 9: an index of plan rows, opt-outs and events by ``user_id``."""
    for name, table in USER_INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} (user_id)")
