-- Rollback of add-oauth-tables.
DROP TABLE IF EXISTS oauth_states;
DROP TABLE IF EXISTS oauth_accounts;
