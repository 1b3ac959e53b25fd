-- +goose Up
-- The website layer's own state. Centaman documents themselves live in
-- documents/document_heads (the read-only local copy); these tables hold
-- what usher decides: holds, checkouts, member links and sessions, and how
-- fresh the copy is.

-- The local copy is read by day: an expression index on the day inside
-- each stored Centaman session (its StartDate), for that stream only, so
-- the copy stays exactly as received and other streams pay nothing.
CREATE INDEX documents_centaman_session_day ON documents
    (institution, substr(json_extract(body, '$.StartDate'), 1, 10))
    WHERE stream = 'centaman.timed_ticket_type';

-- How fresh each stream of the local copy is, per institution.
CREATE TABLE site_sync_state (
    institution     TEXT    NOT NULL,
    stream          TEXT    NOT NULL,
    last_attempt_at TEXT    NOT NULL,
    last_success_at TEXT,
    last_error      TEXT    NOT NULL DEFAULT '',
    documents       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (institution, stream)
) WITHOUT ROWID;

-- A visitor's temporary reservation of tickets for one session. Centaman's
-- holds are anonymous counts, so whose they are is known only here.
CREATE TABLE site_holds (
    id                  TEXT    PRIMARY KEY,
    institution         TEXT    NOT NULL,
    visitor             TEXT    NOT NULL,
    event_id            INTEGER NOT NULL,
    event_date          TEXT    NOT NULL,
    lines               TEXT    NOT NULL CHECK (json_valid(lines)),
    status              TEXT    NOT NULL CHECK (status IN ('active', 'released', 'expired', 'sold')),
    expires_at          TEXT    NOT NULL,
    upstream_expires_at TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);
-- One active hold per visitor and session: a second request extends it.
CREATE UNIQUE INDEX site_holds_one_active ON site_holds (institution, visitor, event_id) WHERE status = 'active';
CREATE INDEX site_holds_expiry ON site_holds (expires_at) WHERE status = 'active';

-- One row per checkout id the website chose: the idempotency record.
CREATE TABLE site_checkouts (
    institution       TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    request_hash      TEXT    NOT NULL,
    hold_id           TEXT    NOT NULL,
    payment_reference TEXT    NOT NULL,
    email             TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'unknown', 'done', 'failed')),
    attempts          INTEGER NOT NULL,
    lease_until       TEXT    NOT NULL,
    booking_id        TEXT    NOT NULL DEFAULT '',
    result            TEXT    CHECK (result IS NULL OR json_valid(result)),
    error_code        TEXT    NOT NULL DEFAULT '',
    error             TEXT    NOT NULL DEFAULT '',
    email_sent_at     TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    PRIMARY KEY (institution, id)
) WITHOUT ROWID;
CREATE INDEX site_checkouts_unsent ON site_checkouts (created_at) WHERE state = 'done' AND email_sent_at IS NULL;

-- A website identity linked to a Centaman member.
CREATE TABLE site_member_links (
    institution TEXT    NOT NULL,
    identity    TEXT    NOT NULL,
    member_code INTEGER NOT NULL,
    email       TEXT    NOT NULL,
    linked_at   TEXT    NOT NULL,
    PRIMARY KEY (institution, identity)
) WITHOUT ROWID;
CREATE INDEX site_member_links_member ON site_member_links (institution, member_code);

-- Signed-in members; only the SHA-256 of each token is kept.
CREATE TABLE site_member_sessions (
    token_hash  TEXT    PRIMARY KEY,
    institution TEXT    NOT NULL,
    identity    TEXT    NOT NULL,
    member_code INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX site_member_sessions_institution ON site_member_sessions (institution);

-- +goose Down
DROP INDEX documents_centaman_session_day;
DROP TABLE site_member_sessions;
DROP TABLE site_member_links;
DROP TABLE site_checkouts;
DROP TABLE site_holds;
DROP TABLE site_sync_state;
