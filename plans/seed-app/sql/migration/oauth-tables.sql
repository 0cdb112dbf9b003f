-- add-oauth-tables (the seed's add-oauth-tables.ts): idempotent, every
-- statement is IF NOT EXISTS, so running it again changes nothing.
-- Keys are provider-issued strings, so no auto-increment column is needed and
-- the DDL is the same on SQLite, PostgreSQL and MariaDB.
-- (MySQL proper lacks CREATE INDEX IF NOT EXISTS; MariaDB has it.)

CREATE TABLE IF NOT EXISTS oauth_accounts (
  provider VARCHAR(50) NOT NULL,
  provider_account_id VARCHAR(255) NOT NULL,
  user_id INTEGER NOT NULL,
  access_token TEXT,
  refresh_token TEXT,
  expires_at BIGINT,
  scope VARCHAR(255),
  PRIMARY KEY (provider, provider_account_id),
  CONSTRAINT fk_oauth_accounts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_oauth_accounts_user_id ON oauth_accounts (user_id);

CREATE TABLE IF NOT EXISTS oauth_states (
  state VARCHAR(128) PRIMARY KEY,
  provider VARCHAR(50) NOT NULL,
  code_verifier VARCHAR(128) NOT NULL,
  redirect_uri TEXT NOT NULL,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP
);
