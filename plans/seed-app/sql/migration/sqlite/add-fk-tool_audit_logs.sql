-- Add the foreign key tool_audit_logs.userId -> users.id (ON DELETE SET NULL).
-- SQLite has no ALTER TABLE ... ADD/DROP CONSTRAINT, so the table is rebuilt:
-- new table, copy, drop, rename, indexes again (sqlite.org/lang_altertable.html).
CREATE TABLE tool_audit_logs__rebuild (
  id INTEGER PRIMARY KEY,
  "userId" INTEGER NULL,
  tool_name VARCHAR(100) NOT NULL,
  action VARCHAR(50) NOT NULL,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT fk_tool_audit_logs_user FOREIGN KEY ("userId") REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO tool_audit_logs__rebuild (id, "userId", tool_name, action, created_at)
SELECT id, "userId", tool_name, action, created_at FROM tool_audit_logs;
DROP TABLE tool_audit_logs;
ALTER TABLE tool_audit_logs__rebuild RENAME TO tool_audit_logs;
CREATE INDEX ix_tool_audit_logs_user_id ON tool_audit_logs ("userId");
