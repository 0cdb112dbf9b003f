-- Rollback of load-sample-data: empty the tables, children before parents.
DELETE FROM user_tool_quotas;
DELETE FROM tool_rate_limits;
DELETE FROM tool_audit_logs;
DELETE FROM script_executions;
DELETE FROM jobs;
DELETE FROM workflows;
DELETE FROM events;
DELETE FROM scripts;
DELETE FROM users;
