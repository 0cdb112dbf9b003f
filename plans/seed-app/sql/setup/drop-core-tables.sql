-- Rollback of create-core-tables: children before parents.
DROP TABLE script_executions;
DROP TABLE jobs;
DROP TABLE workflows;
DROP TABLE events;
DROP TABLE scripts;
DROP TABLE users;
