-- Rollback: user_tool_quotas again without its foreign key.
-- SQLite has no ALTER TABLE ... ADD/DROP CONSTRAINT, so the table is rebuilt:
-- new table, copy, drop, rename, indexes again (sqlite.org/lang_altertable.html).
CREATE TABLE user_tool_quotas__rebuild (
  id INTEGER PRIMARY KEY,
  "userId" INTEGER NOT NULL,
  tool_name VARCHAR(100) NOT NULL,
  monthly_limit INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
);
INSERT INTO user_tool_quotas__rebuild (id, "userId", tool_name, monthly_limit, used)
SELECT id, "userId", tool_name, monthly_limit, used FROM user_tool_quotas;
DROP TABLE user_tool_quotas;
ALTER TABLE user_tool_quotas__rebuild RENAME TO user_tool_quotas;
CREATE INDEX ix_user_tool_quotas_user_id ON user_tool_quotas ("userId");
