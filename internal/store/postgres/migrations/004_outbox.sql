-- +goose Up
-- The outbox: every call usher owes a system outside it (a CRM delivery,
-- a write to S-360), committed in the same transaction as its cause and
-- worked off by leased claims (FOR UPDATE SKIP LOCKED), so that replicas
-- sharing this database never hold the same job at once.
CREATE TABLE outbox_jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_id      text        NOT NULL UNIQUE,
    institution      text        NOT NULL,
    kind             text        NOT NULL,
    order_key        text        NOT NULL,
    idempotency_key  text        NOT NULL,
    payload          jsonb       NOT NULL,
    state            text        NOT NULL CHECK (state IN ('queued', 'inflight', 'done', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL,
    run_at           timestamptz NOT NULL,
    lease_owner      text,
    lease_token      text,
    lease_expires_at timestamptz,
    last_error       text        NOT NULL DEFAULT '',
    result           jsonb,
    replayed         boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz,
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
    name          text PRIMARY KEY,
    tat           timestamptz NOT NULL,
    blocked_until timestamptz NOT NULL
);

-- Contact writes usher made in S-360 for the CRM, so that S-360's push of
-- the result is recognised as their echo and not sent back to the CRM.
CREATE TABLE crm_echo_marks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution    text        NOT NULL,
    contact_number text        NOT NULL,
    sent           jsonb       NOT NULL,
    base_version   integer     NOT NULL,
    job_id         bigint      NOT NULL,
    outcome        text        NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'suppressed', 'conflict')),
    -- echo_version is the contact version found to be this write's echo.
    echo_version   integer,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    UNIQUE (institution, job_id)
);
CREATE INDEX crm_echo_marks_contact ON crm_echo_marks (institution, contact_number) WHERE outcome = 'pending';

-- +goose Down
DROP TABLE crm_echo_marks;
DROP TABLE rate_buckets;
DROP TABLE outbox_jobs;
