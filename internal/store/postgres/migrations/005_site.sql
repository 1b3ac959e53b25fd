-- +goose Up
-- The website layer's own state. Centaman documents themselves live in
-- documents/document_heads (the read-only local copy); these tables hold
-- what usher decides: holds, checkouts, member links and sessions, and how
-- fresh the copy is.

-- The local copy is read by day: an expression index on the day inside
-- each stored Centaman session (its StartDate), for that stream only, so
-- the copy stays exactly as received and other streams pay nothing.
CREATE INDEX documents_centaman_session_day ON documents
    (institution, left(body->>'StartDate', 10))
    WHERE stream = 'centaman.timed_ticket_type';

-- How fresh each stream of the local copy is, per institution.
CREATE TABLE site_sync_state (
    institution     text        NOT NULL,
    stream          text        NOT NULL,
    last_attempt_at timestamptz NOT NULL,
    last_success_at timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    documents       integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (institution, stream)
);

-- A visitor's temporary reservation of tickets for one session. Centaman's
-- holds are anonymous counts, so whose they are is known only here.
CREATE TABLE site_holds (
    id                  text        PRIMARY KEY,
    institution         text        NOT NULL,
    visitor             text        NOT NULL,
    event_id            bigint      NOT NULL,
    event_date          text        NOT NULL,
    lines               jsonb       NOT NULL,
    status              text        NOT NULL CHECK (status IN ('active', 'released', 'expired', 'sold')),
    expires_at          timestamptz NOT NULL,
    upstream_expires_at timestamptz NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
-- One active hold per visitor and session: a second request extends it.
CREATE UNIQUE INDEX site_holds_one_active ON site_holds (institution, visitor, event_id) WHERE status = 'active';
CREATE INDEX site_holds_expiry ON site_holds (expires_at) WHERE status = 'active';

-- One row per checkout id the website chose: the idempotency record.
CREATE TABLE site_checkouts (
    institution       text        NOT NULL,
    id                text        NOT NULL,
    request_hash      text        NOT NULL,
    hold_id           text        NOT NULL,
    payment_reference text        NOT NULL,
    email             text        NOT NULL,
    state             text        NOT NULL CHECK (state IN ('pending', 'unknown', 'done', 'failed')),
    attempts          integer     NOT NULL,
    lease_until       timestamptz NOT NULL,
    booking_id        text        NOT NULL DEFAULT '',
    result            jsonb,
    error_code        text        NOT NULL DEFAULT '',
    error             text        NOT NULL DEFAULT '',
    email_sent_at     timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (institution, id)
);
CREATE INDEX site_checkouts_unsent ON site_checkouts (created_at) WHERE state = 'done' AND email_sent_at IS NULL;

-- A website identity linked to a Centaman member.
CREATE TABLE site_member_links (
    institution text        NOT NULL,
    identity    text        NOT NULL,
    member_code bigint      NOT NULL,
    email       text        NOT NULL,
    linked_at   timestamptz NOT NULL,
    PRIMARY KEY (institution, identity)
);
CREATE INDEX site_member_links_member ON site_member_links (institution, member_code);

-- Signed-in members; only the SHA-256 of each token is kept.
CREATE TABLE site_member_sessions (
    token_hash  text        PRIMARY KEY,
    institution text        NOT NULL,
    identity    text        NOT NULL,
    member_code bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX site_member_sessions_institution ON site_member_sessions (institution);

-- +goose Down
DROP INDEX documents_centaman_session_day;
DROP TABLE site_member_sessions;
DROP TABLE site_member_links;
DROP TABLE site_checkouts;
DROP TABLE site_holds;
DROP TABLE site_sync_state;
