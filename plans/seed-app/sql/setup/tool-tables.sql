-- The three tool tables of the seed, as Drizzle created them: camelCase
-- "userId" columns, indexed, but with NO foreign key to users (the seed's
-- finding: tool_audit_logs.userId, tool_rate_limits.userId and
-- user_tool_quotas.userId -> users.id).
-- Standard SQL quoting ("userId"), for SQLite and PostgreSQL; tool-tables.mysql.sql
-- is the same with MySQL's backticks.

CREATE TABLE tool_audit_logs (
  id INTEGER PRIMARY KEY,
  "userId" INTEGER NULL,
  tool_name VARCHAR(100) NOT NULL,
  action VARCHAR(50) NOT NULL,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_tool_audit_logs_user_id ON tool_audit_logs ("userId");

CREATE TABLE tool_rate_limits (
  id INTEGER PRIMARY KEY,
  "userId" INTEGER NOT NULL,
  tool_name VARCHAR(100) NOT NULL,
  window_start TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  request_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_tool_rate_limits_user_id ON tool_rate_limits ("userId");

CREATE TABLE user_tool_quotas (
  id INTEGER PRIMARY KEY,
  "userId" INTEGER NOT NULL,
  tool_name VARCHAR(100) NOT NULL,
  monthly_limit INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_user_tool_quotas_user_id ON user_tool_quotas ("userId");
