-- Rollback of drop-script-executions: the structure comes back, the rows do
-- not (every one of them has its job, which the precondition proved).
CREATE TABLE script_executions (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL,
  status VARCHAR(20) NOT NULL,
  started_at TIMESTAMP NULL,
  CONSTRAINT fk_script_executions_event FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE
);
CREATE INDEX ix_script_executions_event_id ON script_executions (event_id);
