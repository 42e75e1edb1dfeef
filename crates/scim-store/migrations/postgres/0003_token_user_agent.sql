-- The User-Agent of a SCIM token's last request: see
-- migrations/sqlite/0013_token_user_agent.sql.
ALTER TABLE tokens ADD COLUMN last_user_agent text;
