-- Issue 12: who made each change, and webhooks (DESIGN §7).

-- The caller of the write that emitted the event (scim-store events.rs,
-- `actor`): JSON. NULL for events written before this migration.
ALTER TABLE events ADD COLUMN actor TEXT;

-- Webhook endpoints. `tenants` and `types` are JSON: "all" or a list (of
-- tenant ids; of event type names). Secrets are sealed (sealing.rs in the
-- server): the current one, and the one it replaced until the rotation's
-- overlap ends. `cursor` is the global event position fanned out so far:
-- a disabled endpoint keeps it, and catches up when enabled again.
CREATE TABLE webhook_endpoints (
    id                    BLOB    PRIMARY KEY,
    url                   TEXT    NOT NULL,
    tenants               TEXT    NOT NULL,
    types                 TEXT    NOT NULL,
    format                TEXT    NOT NULL,
    description           TEXT    NOT NULL DEFAULT '',
    audience              TEXT,
    subject_format        TEXT,
    authorization         TEXT,
    secret                TEXT    NOT NULL,
    previous_secret       TEXT,
    previous_secret_until INTEGER,
    max_in_flight         INTEGER NOT NULL,
    enabled               INTEGER NOT NULL DEFAULT 1,
    disabled_reason       TEXT,
    disabled_at           INTEGER,
    failing_since         INTEGER,
    cursor                INTEGER NOT NULL,
    created               INTEGER NOT NULL,
    updated               INTEGER NOT NULL
);

-- One event to deliver to one endpoint. `state`: pending, delivered, dead
-- (dead-lettered). Events of one resource go in `id` order; a pending
-- delivery holds back the later ones of its resource. `lease_until`: the
-- node sending it now (an expired lease can be claimed again).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    endpoint         BLOB    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_position   INTEGER NOT NULL,
    tenant           BLOB    NOT NULL,
    resource_id      BLOB    NOT NULL,
    state            TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    created          INTEGER NOT NULL,
    finished_at      INTEGER,
    replay           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_line ON webhook_deliveries (endpoint, tenant, resource_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_all ON webhook_deliveries (endpoint, event_position);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_position) WHERE state = 'pending';

-- Every attempt: when, the status (NULL when no answer came), how long it
-- took, the first KiB of the answer, or why it failed.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery    INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status      INTEGER,
    latency_ms  INTEGER NOT NULL,
    response    TEXT,
    error       TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery, id);
