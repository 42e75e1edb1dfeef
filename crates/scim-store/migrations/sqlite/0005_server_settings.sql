-- Facts about the server that its other processes (the CLI) need, by name:
-- the public URL the server last started with, so that the CLI prints the
-- SCIM URLs clients really use.
CREATE TABLE server_settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
