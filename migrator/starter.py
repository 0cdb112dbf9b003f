"""The starter plan ``migrator init`` writes: commented, and valid as it stands."""
from __future__ import annotations

SCHEMA_FILE = "migrator.schema.json"

STARTER_PLAN = f"""\
# yaml-language-server: $schema={SCHEMA_FILE}
# A migrator plan. Check it with `migrator validate plan.yaml`, review the dry
# run with `migrator plan plan.yaml`, apply it with `migrator apply plan.yaml`.
migrator: 1                 # format version
name: my-app                # the journal key of this plan's steps
description: "A starter plan: one table, one index, a backfill and a check."

vars:                       # ${{name}} in any string; override with --var name=value
  batch_size: 500

phases:
  - id: schema
    title: Schema changes
    steps:
      - id: create-accounts
        title: Create the accounts table
        sql: |
          CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            email VARCHAR(255) NOT NULL,
            active BOOLEAN
          )
        rollback: DROP TABLE accounts
        verify:
          - table_exists: accounts
          - column_exists: {{table: accounts, column: email, type: text, nullable: false}}

      - id: index-accounts-email
        title: Index accounts by email
        sql: CREATE INDEX ix_accounts_email ON accounts (email)
        rollback: DROP INDEX ix_accounts_email
        when: {{dialect: [sqlite, postgresql]}}   # MySQL needs DROP INDEX ... ON accounts
        verify:
          - index_exists: {{table: accounts, columns: [email]}}

  - id: data
    title: Data changes
    steps:
      - id: backfill-active
        title: Mark every account active
        idempotent: true    # the WHERE skips rows already done: safe to run again
        batch:
          # Each batch commits on its own; an interrupted run resumes where it stopped.
          sql: UPDATE accounts SET active = TRUE WHERE id IN
                 (SELECT id FROM (SELECT id FROM accounts WHERE active IS NULL LIMIT :batch_size) AS todo)
          size: ${{batch_size}}
          total: SELECT count(*) FROM accounts WHERE active IS NULL
        verify:
          - query: SELECT count(*) FROM accounts WHERE active IS NULL
            expect: 0
            message: some accounts were not backfilled
"""
