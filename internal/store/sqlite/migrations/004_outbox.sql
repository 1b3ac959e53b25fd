-- +goose Up
-- The outbox: every call usher owes a system outside it (a CRM delivery,
-- a write to S-360), committed in the same transaction as its cause and
-- worked off by leased claims. Times are TEXT in the fixed-width UTC form.
CREATE TABLE outbox_jobs (
    id               INTEGER PRIMARY KEY,
    tracking_id      TEXT    NOT NULL UNIQUE,
    institution      TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    order_key        TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    payload          TEXT    NOT NULL CHECK (json_valid(payload)),
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'inflight', 'done', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at TEXT,
    last_error       TEXT    NOT NULL DEFAULT '',
    result           TEXT,
    replayed         INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    finished_at      TEXT,
    UNIQUE (institution, kind, idempotency_key)
);
-- Due work, oldest first.
CREATE INDEX outbox_jobs_due ON outbox_jobs (run_at, id) WHERE state = 'queued';
-- Leases to reclaim when their worker died.
CREATE INDEX outbox_jobs_leases ON outbox_jobs (lease_expires_at) WHERE state = 'inflight';
-- The unfinished jobs of an order key: only the first may run.
CREATE INDEX outbox_jobs_order ON outbox_jobs (institution, order_key, id) WHERE state IN ('queued', 'inflight');
-- Jobs of one state, newest first (the dead letter, for operators).
CREATE INDEX outbox_jobs_state ON outbox_jobs (state, id);

-- One row per shared call budget (an S-360 instance): the generic cell
-- rate algorithm's theoretical arrival time and an upstream-imposed pause.
CREATE TABLE rate_buckets (
    name          TEXT PRIMARY KEY,
    tat           TEXT NOT NULL,
    blocked_until TEXT NOT NULL
) WITHOUT ROWID;

-- Contact writes usher made in S-360 for the CRM, so that S-360's push of
-- the result is recognised as their echo and not sent back to the CRM.
CREATE TABLE crm_echo_marks (
    id             INTEGER PRIMARY KEY,
    institution    TEXT    NOT NULL,
    contact_number TEXT    NOT NULL,
    sent           TEXT    NOT NULL CHECK (json_valid(sent)),
    base_version   INTEGER NOT NULL,
    job_id         INTEGER NOT NULL,
    outcome        TEXT    NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'suppressed', 'conflict')),
    -- echo_version is the contact version found to be this write's echo.
    echo_version   INTEGER,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    UNIQUE (institution, job_id)
);
CREATE INDEX crm_echo_marks_contact ON crm_echo_marks (institution, contact_number) WHERE outcome = 'pending';

-- +goose Down
DROP TABLE crm_echo_marks;
DROP TABLE rate_buckets;
DROP TABLE outbox_jobs;
