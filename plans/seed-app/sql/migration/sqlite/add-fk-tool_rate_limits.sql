-- Add the foreign key tool_rate_limits.userId -> users.id (ON DELETE CASCADE).
-- SQLite has no ALTER TABLE ... ADD/DROP CONSTRAINT, so the table is rebuilt:
-- new table, copy, drop, rename, indexes again (sqlite.org/lang_altertable.html).
CREATE TABLE tool_rate_limits__rebuild (
  id INTEGER PRIMARY KEY,
  "userId" INTEGER NOT NULL,
  tool_name VARCHAR(100) NOT NULL,
  window_start TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  request_count INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT fk_tool_rate_limits_user FOREIGN KEY ("userId") REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO tool_rate_limits__rebuild (id, "userId", tool_name, window_start, request_count)
SELECT id, "userId", tool_name, window_start, request_count FROM tool_rate_limits;
DROP TABLE tool_rate_limits;
ALTER TABLE tool_rate_limits__rebuild RENAME TO tool_rate_limits;
CREATE INDEX ix_tool_rate_limits_user_id ON tool_rate_limits ("userId");
