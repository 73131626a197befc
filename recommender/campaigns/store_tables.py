"""The campaign store's tables and ``MIGRATIONS``, its schema steps in the order they apply.

``store.py`` opens, migrates and reads the store; a later feature adds its tables by appending
a step here (``_tables_of``: the step imports ``create_tables`` from its module when it runs);
a step is never edited once released.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from importlib import import_module

import sqlalchemy as sa
from sqlalchemy.engine import Connection

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)

plans = sa.Table(
    "campaign_plans", metadata,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("model_version", sa.Text, nullable=False),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),  # JSON
)

plan_rows = sa.Table(
    "campaign_plan_rows", metadata,
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("campaign_plans.plan_id",
                                                      ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),  # the row's order
    sa.Column("film_id", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("wave", sa.SmallInteger, nullable=False),
    sa.Column("group_name", sa.String(16), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("p", sa.Float(precision=53), nullable=False),
    sa.Column("expected_value", sa.Float(precision=53), nullable=False),
    sa.Index("ix_campaign_plan_rows_film", "plan_id", "film_id"),
)


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    def step(conn: Connection) -> None:
        for t in tables:
            t.create(conn, checkfirst=True)
    return step


MIGRATIONS: list[tuple[int, str, Callable[[Connection], object]]] = [
    (1, "campaign plans and plan rows", _create(plans, plan_rows)),
]


def _tables_of(module: str) -> Callable[[Connection], None]:
    """A step running ``recommender.campaigns.<module>.create_tables`` (imported then)."""
    return lambda conn: import_module(f"recommender.campaigns.{module}").create_tables(conn)


MIGRATIONS.append((2, "events and plan links (closing the loop)", _tables_of("events")))

plan_exclusions = sa.Table(
    "campaign_plan_exclusions", metadata,
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("campaign_plans.plan_id",
                                                      ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
)
MIGRATIONS.append((3, "each plan's opted-out users (honoured by its next waves)",
                   _create(plan_exclusions)))

store_info = sa.Table(
    "campaign_store_info", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def _identity_step(conn: Connection) -> None:
    """The store's own id: a model trained with its events records it, so the overlay knows
    the store it is served with is that one, however its URL is written."""
    store_info.create(conn, checkfirst=True)
    conn.execute(store_info.insert().values(key="store_id", value=uuid.uuid4().hex))


MIGRATIONS.append((4, "the store's own id (which store a model's events came from)",
                   _identity_step))

idempotency = sa.Table(
    "campaign_idempotency", metadata,
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("request_sha256", sa.String(64), nullable=False),
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("campaign_plans.plan_id",
                                                      ondelete="CASCADE"), nullable=False),
)
MIGRATIONS.append((5, "idempotency keys of plan requests (a retry gets the stored plan)",
                   _create(idempotency)))
PAIR_INDEX = "ix_campaign_plan_rows_film_user"  # not on ``plan_rows``: step 1 stays as released
MIGRATIONS.append((6, "plan rows by (film, user): the check of plans stored meanwhile",
                   lambda conn: conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {PAIR_INDEX} "
                                                     "ON campaign_plan_rows (film_id, user_id)")))
withdrawals = sa.Table(  # ``withdraw.py``: a campaign's waves after ``sent_waves`` were not sent
    "campaign_plan_withdrawals", metadata,
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("campaign_plans.plan_id",
                                                      ondelete="CASCADE"), primary_key=True),
    sa.Column("sent_waves", sa.Integer, nullable=False),
    sa.Column("withdrawn_at", sa.Text, nullable=False),  # ISO 8601, UTC
    sa.Column("via_plan_id", sa.String(64), nullable=False),  # the plan named when withdrawn
)
MIGRATIONS.append((7, "withdrawn campaigns (their unsent waves' pairs are free again)",
                   _create(withdrawals)))
MIGRATIONS.append((8, "each wave's send time (its report's window)", _tables_of("wave_sends")))
MIGRATIONS.append((9, "look-ups by user (plan rows, opt-outs, events)", _tables_of("user_indexes")))
MIGRATIONS.append((10, "events keyed by their writer (an event_id is unique per key)",
                   _tables_of("event_writers")))
COUNT_INDEX = "ix_campaign_plan_rows_user_film"  # every column the store-scope count reads
USER_ONLY_INDEX = "ix_campaign_plan_rows_user"  # step 9's, a prefix of COUNT_INDEX


def _count_index_step(conn: Connection) -> None:
    """Plan rows by (user, film, plan, wave): ``cap_scope.films_elsewhere`` reads them all off
    this index, in user order (benchmarks/results/store_counts.md); step 9's index by user
    alone, a prefix of it, is dropped (one index fewer to write with every plan row)."""
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {COUNT_INDEX} ON campaign_plan_rows "
                         "(user_id, film_id, plan_id, wave)")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {USER_ONLY_INDEX}")


MIGRATIONS.append((11, "plan rows by (user, film, plan, wave): the store-scope cap's count",
                   _count_index_step))
MIGRATIONS.append((12, "erased users (right to be forgotten): their digests and tombstones",
                   _tables_of("erasure")))
