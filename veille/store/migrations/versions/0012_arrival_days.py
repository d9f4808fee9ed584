"""A version per day of arrival, kept by the database's own triggers: ``arrival_day (day,
version)``, one row per day that saw an arrival (``first_seen_at``, UTC, ``YYYY-MM-DD``),
its version increased in the very transaction that inserts, deletes or changes an entry that
arrived that day (its feed, publication or arrival date) or that entry's tags. The unread
counts of a day's arrivals are cached under its version (``store/arrivals.py``), so after a
fetch cycle's save only the newest day is counted again, not every arrival since each
reader's horizon (BENCHMARKS.md, « API Google Reader »).

Triggers rather than calls in the store's writers: every write is seen whatever makes it (a
save, a retag, an editor's correction, ``veille db copy``, a feed deleted with its entries,
SQL by hand). SQLite has row triggers only; PostgreSQL gets statement triggers over the
changed rows (one upsert per statement, days in descending order: writers lock today's row
first, as a fetch cycle's saves all do).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The day of an arrival, as the store's readers compute it (``store/arrivals.py``).
DAY = {
    "sqlite": "date({})",
    "postgresql": "to_char({}, 'YYYY-MM-DD')",
}
BUMP = "ON CONFLICT (day) DO UPDATE SET version = arrival_day.version + 1"
# An entry's fields the counts depend on (its tags have triggers of their own).
COUNTED = ("first_seen_at", "feed_id", "published_at")

SQLITE_TRIGGERS = {
    "entry_arrival_insert": "AFTER INSERT ON entry BEGIN {new} END",
    "entry_arrival_delete": "AFTER DELETE ON entry BEGIN {old} END",
    "entry_arrival_update": (
        f"AFTER UPDATE OF {', '.join(COUNTED)} ON entry WHEN "
        + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COUNTED)
        + " BEGIN {old} {new} END"
    ),
    "entry_tag_arrival_insert": "AFTER INSERT ON entry_tag BEGIN {tag_new} END",
    "entry_tag_arrival_delete": "AFTER DELETE ON entry_tag BEGIN {tag_old} END",
    "entry_tag_arrival_update": "AFTER UPDATE ON entry_tag BEGIN {tag_old} {tag_new} END",
}


def _sqlite() -> None:
    day = DAY["sqlite"]
    parts = {
        which: f"INSERT INTO arrival_day (day, version) VALUES ({day.format(row)}, 1) {BUMP};"
        for which, row in (("new", "NEW.first_seen_at"), ("old", "OLD.first_seen_at"))
    }
    for which, row in (("tag_new", "NEW"), ("tag_old", "OLD")):
        # ``WHERE``: SQLite would read ``ON CONFLICT`` as a join's ``ON`` without it.
        parts[which] = (
            f"INSERT INTO arrival_day (day, version) SELECT {day.format('first_seen_at')}, 1 "
            f"FROM entry WHERE id = {row}.entry_id {BUMP};"
        )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body.format(**parts)}")


def _bump_pg(rows: str) -> str:
    """A PL/pgSQL statement bumping the days of ``rows`` (a query of ``first_seen_at``)."""
    day = DAY["postgresql"].format("first_seen_at")
    return (
        f"INSERT INTO arrival_day (day, version) SELECT DISTINCT {day}, 1 FROM ({rows}) AS r "
        f"ORDER BY 1 DESC {BUMP};"
    )


def _changed_pg() -> str:
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in COUNTED)
    return (
        "SELECT o.first_seen_at FROM old_rows o JOIN new_rows n ON n.id = o.id "
        f"WHERE {differs} UNION ALL "
        "SELECT n.first_seen_at FROM old_rows o JOIN new_rows n ON n.id = o.id "
        f"WHERE {differs}"
    )


PG_FUNCTIONS = {
    "arrival_day_entries": _bump_pg("SELECT first_seen_at FROM rows_changed"),
    "arrival_day_entries_updated": _bump_pg(_changed_pg()),
    "arrival_day_tags": _bump_pg(
        "SELECT e.first_seen_at FROM rows_changed t JOIN entry e ON e.id = t.entry_id"
    ),
}
# (trigger, table, event, transition tables, function)
PG_TRIGGERS = [
    ("entry_arrival_insert", "entry", "INSERT", "NEW TABLE AS rows_changed", "entries"),
    ("entry_arrival_delete", "entry", "DELETE", "OLD TABLE AS rows_changed", "entries"),
    (
        "entry_arrival_update",
        "entry",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "entries_updated",
    ),
    ("entry_tag_arrival_insert", "entry_tag", "INSERT", "NEW TABLE AS rows_changed", "tags"),
    ("entry_tag_arrival_delete", "entry_tag", "DELETE", "OLD TABLE AS rows_changed", "tags"),
    ("entry_tag_arrival_update_old", "entry_tag", "UPDATE", "OLD TABLE AS rows_changed", "tags"),
    ("entry_tag_arrival_update_new", "entry_tag", "UPDATE", "NEW TABLE AS rows_changed", "tags"),
]


def _postgresql() -> None:
    for name, statement in PG_FUNCTIONS.items():
        op.execute(
            # The tables of the schema migrated, whatever the writer's own search path.
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            "SET search_path FROM CURRENT AS $$ "
            f"BEGIN {statement} RETURN NULL; END $$"
        )
    for name, table, event, tables, function in PG_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION arrival_day_{function}()"
        )


def upgrade() -> None:
    op.create_table(
        "arrival_day",
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    dialect = op.get_bind().dialect.name
    day = DAY[dialect].format("first_seen_at")
    op.execute(f"INSERT INTO arrival_day (day, version) SELECT DISTINCT {day}, 1 FROM entry")
    if dialect == "sqlite":
        _sqlite()
    else:
        _postgresql()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, table, *_ in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("arrival_day")
