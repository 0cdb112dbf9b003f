"""Building checks and a seed-like schema for the checks tests."""
from __future__ import annotations

from migrator.checks import CheckContext, evaluate
from migrator.checks.compare import normalize_expect
from migrator.errors import Location
from migrator.plan.model import CheckSpec

LOC = Location("t.yaml", 1, 1)


_MISSING = object()


def spec(kind, arg, *, expect=_MISSING, path="phases[0].steps[0].verify[0]", **kw) -> CheckSpec:
    """A CheckSpec as the loader builds it; ``expect`` as written in YAML (``0``, ``{gt: 5}``, ``null``)."""
    pair = None if expect is _MISSING else normalize_expect(expect)
    return CheckSpec(kind, arg, path, LOC, expect=pair, **kw)


def quoter(engine):
    return engine.dialect.identifier_preparer.quote_identifier


def seed(engine) -> None:
    """The seed's shape: users, a table with a camelCase "userId" and no foreign key
    (tool_audit_logs), a composite primary key (orgs) and foreign keys (memberships)."""
    q = quoter(engine)
    with engine.begin() as conn:
        for sql in (
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, active BOOLEAN,"
            " score NUMERIC(10,2), created_at TIMESTAMP NULL, data JSON, UNIQUE (email))",
            "CREATE TABLE orgs (id INTEGER NOT NULL, region VARCHAR(10) NOT NULL, name VARCHAR(50), PRIMARY KEY (id, region))",
            f"CREATE TABLE tool_audit_logs (id INTEGER PRIMARY KEY, {q('userId')} INTEGER, action VARCHAR(50))",
            f"CREATE TABLE memberships (id INTEGER PRIMARY KEY, {q('userId')} INTEGER NOT NULL, org_id INTEGER,"
            f" org_region VARCHAR(10), FOREIGN KEY ({q('userId')}) REFERENCES users (id) ON DELETE CASCADE,"
            " FOREIGN KEY (org_id, org_region) REFERENCES orgs (id, region))",
            f"CREATE INDEX ix_memberships_user_org ON memberships ({q('userId')}, org_id)",
            "INSERT INTO users (id, email, active, score) VALUES (1, 'a@x', true, 1.50), (2, 'b@x', false, NULL)",
            "INSERT INTO orgs VALUES (1, 'eu', 'Acme')",
            "INSERT INTO tool_audit_logs VALUES (1, 1, 'login'), (2, 99, 'x'), (3, NULL, 'y'), (4, 98, 'z')",
            "INSERT INTO memberships VALUES (1, 1, 1, 'eu'), (2, 2, NULL, NULL)",
        ):
            conn.exec_driver_sql(sql)


def check(engine, *specs, **ctx_args):
    """Evaluate specs on a fresh connection; (held, detail) of each."""
    with engine.connect() as conn:
        ctx = CheckContext.create(conn, **ctx_args)
        return [(r.held, r.detail) for r in (evaluate(s, ctx) for s in specs)]


def one(engine, kind, arg, **kw):
    return check(engine, spec(kind, arg, **kw))[0]
