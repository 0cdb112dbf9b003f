-- Rollback of create-tool-tables (any dialect: no camelCase name to quote).
DROP TABLE user_tool_quotas;
DROP TABLE tool_rate_limits;
DROP TABLE tool_audit_logs;
