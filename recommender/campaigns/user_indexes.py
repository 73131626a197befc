"""Migration step 9: the store's user ids indexed first, for the look-up of a batch's users.

``events import`` and ``POST /events`` ask the store whether it holds each distinct id of a
batch cut with its spreadsheet-safe quote (``sheet_ids``: ``'+336123400489``), and the id it
quotes, in plan rows, opt-outs and events; none of those tables was indexed by ``user_id``
first (plan rows and events by film, then user; opt-outs by plan, then user), so each look-up
read whole tables: 2,000 quoted phone numbers (a CRM keyed by phone numbers quotes every id)
beside 400,000 events and 20,000 plan rows took 0.30 s on SQLite and 0.54 s on PostgreSQL,
where storing them took 0.02 s and 0.1 s; with these indexes, 0.035 s and 0.09 s (one index
search per id). Step 9 of ``store.MIGRATIONS`` runs ``create_tables`` here (the name of every
step a module adds); ``campaign copy``'s target gets them as it is migrated. Step 11 drops
the plan rows' one for an index by (user, film, plan, wave) (``store_tables.COUNT_INDEX``),
which serves the same look-ups.
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
