"""Schema snapshots and their differences, on all three dialects."""
from __future__ import annotations

import pytest

from migrator.prove import snapshot
from migrator.prove.snapshot import Item, Snapshot

SCHEMA = [
    "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL, nick VARCHAR(30),"
    " CONSTRAINT uq_users_email UNIQUE (email))",
    "CREATE TABLE jobs (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER, status VARCHAR(20) DEFAULT 'new',"
    " CONSTRAINT fk_jobs_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)",
    "CREATE INDEX ix_jobs_status ON jobs (status)",
    "CREATE INDEX ix_jobs_user_id ON jobs (user_id)",
    "CREATE TABLE migrator_journal (id INTEGER NOT NULL PRIMARY KEY)",
    "INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com')",
]


@pytest.fixture
def conn(db_engine):
    with db_engine.connect() as conn:
        with conn.begin():
            for statement in SCHEMA:
                conn.exec_driver_sql(statement)
        yield conn


def _run(conn, *statements):
    with conn.begin():
        for statement in statements:
            conn.exec_driver_sql(statement)


def _drop_index(dialect, name):
    return f"DROP INDEX {name} ON jobs" if dialect == "mysql" else f"DROP INDEX {name}"


def test_snapshot_reflects_tables_columns_keys_indexes_and_foreign_keys(conn):
    snap = snapshot.take(conn, counts=True)
    assert snap.tables == ("jobs", "users")
    assert snap.items[("column", "users", "email")].value == ("varchar(100)", False, False)
    assert snap.items[("column", "jobs", "status")].value == ("varchar(20)", True, True)
    assert snap.items[("primary_key", "jobs")].value == (("id",),)
    assert snap.items[("index", "jobs", "ix_jobs_status")] == Item((("status",), False), "index ix_jobs_status on jobs(status)")
    assert snap.items[("unique", "users", ("email",))].label == "unique constraint uq_users_email on users(email)"
    fk = snap.items[("foreign_key", "jobs", ("user_id",), ("users", ("id",)))]
    assert fk == Item(("cascade",), "foreign key jobs(user_id) → users(id)")
    assert snap.row_counts == {"jobs": 0, "users": 2}


def test_snapshot_leaves_out_migrators_tables_and_no_transaction_open(conn):
    snap = snapshot.take(conn, counts=True, exclude=("users",))
    assert snap.tables == ("jobs",)
    assert not conn.in_transaction()


def test_two_snapshots_of_an_unchanged_database_do_not_differ(conn):
    assert snapshot.diff(snapshot.take(conn, counts=True), snapshot.take(conn, counts=True), "now", counts=True) == ()


def test_diff_names_a_missing_index_and_a_changed_row_count(conn, db_dialect):
    before = snapshot.take(conn, counts=True)
    _run(conn, _drop_index(db_dialect, "ix_jobs_status"), "INSERT INTO users (id, email) VALUES (3, 'c@example.com')")
    after = snapshot.take(conn, counts=True)
    assert snapshot.diff(before, after, "after rollback", counts=True) == (
        "index ix_jobs_status on jobs(status) missing after rollback",
        "row count of users changed 2 → 3 after rollback",
    )
    # Row counts are compared only when asked for.
    assert snapshot.diff(before, after, "after rollback") == ("index ix_jobs_status on jobs(status) missing after rollback",)


def test_diff_names_a_missing_table_and_an_unexpected_one(conn):
    before = snapshot.take(conn)
    _run(conn, "CREATE TABLE job_logs (id INTEGER NOT NULL PRIMARY KEY)")
    after = snapshot.take(conn)
    assert snapshot.diff(after, before, "after rollback") == (
        "table job_logs missing after rollback",
        "column job_logs.id missing after rollback",
        "primary key of job_logs missing after rollback",
    )
    assert snapshot.diff(before, after, "after rollback")[0] == "unexpected table job_logs after rollback"


def test_diff_names_column_changes_in_words():
    def snap(type_, nullable, default):
        return Snapshot({("column", "users", "email"): Item((type_, nullable, default), "column users.email")})

    assert snapshot.diff(snap("varchar(100)", True, False), snap("varchar(255)", False, True), "after re-apply") == (
        "column users.email: type changed varchar(100) → varchar(255) after re-apply",
        "column users.email: nullable changed true → false after re-apply",
        "column users.email: default added after re-apply",
    )


def test_diff_names_foreign_key_and_index_changes():
    key = ("foreign_key", "jobs", ("user_id",), ("users", ("id",)))
    fk = "foreign key jobs(user_id) → users(id)"
    ix = ("index", "jobs", "ix_jobs_status")
    old = Snapshot({key: Item(("cascade",), fk), ix: Item((("status",), False), "index ix_jobs_status on jobs(status)")})
    new = Snapshot({key: Item(("set null",), fk), ix: Item((("status", "id"), True), "index ix_jobs_status on jobs(status, id)")})
    assert snapshot.diff(old, new, "after re-apply") == (
        "index ix_jobs_status on jobs(status, id): columns changed (status) → (status, id) after re-apply",
        "index ix_jobs_status on jobs(status, id): unique changed false → true after re-apply",
        "foreign key jobs(user_id) → users(id): on delete changed cascade → set null after re-apply",
    )


def test_undo_and_redo_take_back_and_lay_again_exactly_a_steps_effect():
    t = Item((), "table t")
    col = Item(("integer", True, False), "column t.c")
    wide = Item(("bigint", True, False), "column t.c")
    u = Item((), "table u")
    before = Snapshot({("table", "t"): t, ("column", "t", "c"): col, ("table", "old"): Item((), "table old")})
    after = Snapshot({("table", "t"): t, ("column", "t", "c"): wide, ("table", "u"): u})
    effect = snapshot.delta(before, after)
    # Another step (no rollback) added table v in between: undo leaves it alone.
    later = Snapshot({**after.items, ("table", "v"): Item((), "table v")})
    assert dict(snapshot.undo(later, effect).items) == {**before.items, ("table", "v"): Item((), "table v")}
    assert dict(snapshot.redo(before, effect).items) == dict(after.items)


def test_undoing_a_created_table_also_takes_away_what_later_steps_added_to_it():
    t = Item((), "table t")
    before = Snapshot({("table", "v"): Item((), "table v")})
    after = Snapshot({**before.items, ("table", "t"): t, ("column", "t", "id"): Item(("integer", False, False), "c")})
    effect = snapshot.delta(before, after)
    # A step without rollback then added an index to t and a column to v.
    later = Snapshot({**after.items, ("index", "t", "ix"): Item((("id",), False), "index ix on t(id)"),
                      ("column", "v", "x"): Item(("integer", True, False), "column v.x")})
    assert dict(snapshot.undo(later, effect).items) == {**before.items, ("column", "v", "x"): later.items[("column", "v", "x")]}
