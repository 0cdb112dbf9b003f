-- Rollback of drop-legacy-scripts: the table's structure comes back, its rows
-- do not (they live on as events with the same ids).
CREATE TABLE scripts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  name VARCHAR(200) NOT NULL,
  content TEXT,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT fk_scripts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_scripts_user_id ON scripts (user_id);
