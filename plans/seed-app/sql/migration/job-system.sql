-- migrate-to-job-system (the seed's migrate-to-job-system.ts): idempotent.
-- job_logs is keyed by (job_id, seq): the worker numbers the lines of a job,
-- which keeps the DDL free of dialect-specific auto-increment syntax.

CREATE TABLE IF NOT EXISTS job_logs (
  job_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  level VARCHAR(10) NOT NULL,
  message TEXT,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (job_id, seq),
  CONSTRAINT fk_job_logs_job FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE
);
-- Job polling reads the newest log lines across jobs.
CREATE INDEX IF NOT EXISTS ix_job_logs_created_at ON job_logs (created_at);
