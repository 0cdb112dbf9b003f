-- The application's tables as they are before the migration (the seed's
-- "before" state). Portable DDL: SQLite, PostgreSQL and MariaDB/MySQL all
-- accept it. Ids are plain INTEGER primary keys filled with explicit values,
-- so no dialect-specific auto-increment syntax is needed here.
-- created_at is "TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP": the explicit NULL
-- keeps older MySQL/MariaDB settings from adding ON UPDATE CURRENT_TIMESTAMP.

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email VARCHAR(255) NOT NULL UNIQUE,
  name VARCHAR(100) NOT NULL,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP
);

-- Deprecated: the table events were copied from when "scripts" became
-- "events" (the seed removed the `Script = Event` type alias). Dropped in phase 4.
CREATE TABLE scripts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  name VARCHAR(200) NOT NULL,
  content TEXT,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT fk_scripts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_scripts_user_id ON scripts (user_id);

-- config holds the legacy "key=value;key=value" format; the migration adds
-- api_config (JSON) and converts every row in phase 3.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  name VARCHAR(200) NOT NULL,
  config TEXT NOT NULL,
  is_active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_events_user_id ON events (user_id);

CREATE TABLE workflows (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  name VARCHAR(200) NOT NULL,
  definition TEXT,
  status VARCHAR(20) NOT NULL,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT fk_workflows_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_workflows_user_id ON workflows (user_id);

-- Legacy job table: status uses the old vocabulary (ok, error, queued,
-- running); the job system adds jobs.state and phase 3 backfills it.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL,
  status VARCHAR(20) NOT NULL,
  output TEXT,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT fk_jobs_event FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE
);
CREATE INDEX ix_jobs_event_id ON jobs (event_id);

-- Deprecated execution tracking (the seed's migrate-add-execution-tracking
-- era), superseded by jobs. Dropped in phase 4.
CREATE TABLE script_executions (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL,
  status VARCHAR(20) NOT NULL,
  started_at TIMESTAMP NULL,
  CONSTRAINT fk_script_executions_event FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE
);
CREATE INDEX ix_script_executions_event_id ON script_executions (event_id);
