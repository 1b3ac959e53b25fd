-- +goose Up
-- Every version of every contact and order, kept exactly as received.
-- Times are TEXT in a fixed-width UTC form (2006-01-02T15:04:05.000000Z) so
-- that text order is time order and strftime() can group them.
CREATE TABLE documents (
    id                  INTEGER PRIMARY KEY,
    institution         TEXT    NOT NULL,
    stream              TEXT    NOT NULL,
    external_id         TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    content_hash        TEXT    NOT NULL,
    body                TEXT    NOT NULL CHECK (json_valid(body)),
    upstream_updated_at TEXT,
    received_at         TEXT    NOT NULL,
    UNIQUE (institution, stream, external_id, content_hash),
    UNIQUE (institution, stream, external_id, version)
);
CREATE INDEX documents_received ON documents (institution, stream, received_at);

-- The current version of each document: the newest by upstream time.
CREATE TABLE document_heads (
    institution         TEXT    NOT NULL,
    stream              TEXT    NOT NULL,
    external_id         TEXT    NOT NULL,
    document_id         INTEGER NOT NULL REFERENCES documents (id),
    version             INTEGER NOT NULL,
    upstream_updated_at TEXT,
    PRIMARY KEY (institution, stream, external_id)
);

-- Access-control checks are immutable: one row per ticket_check_id.
CREATE TABLE ticket_checks (
    institution     TEXT    NOT NULL,
    ticket_check_id INTEGER NOT NULL,
    movement_id     INTEGER NOT NULL,
    ticket_id       INTEGER NOT NULL,
    barcode         TEXT    NOT NULL,
    access_time     TEXT    NOT NULL,
    check_flow      TEXT    NOT NULL,
    result          TEXT    NOT NULL,
    failure_reason  TEXT    NOT NULL,
    content_hash    TEXT    NOT NULL,
    body            TEXT    NOT NULL CHECK (json_valid(body)),
    received_at     TEXT    NOT NULL,
    PRIMARY KEY (institution, ticket_check_id)
) WITHOUT ROWID;
CREATE INDEX ticket_checks_access ON ticket_checks (institution, access_time);
CREATE INDEX ticket_checks_movement ON ticket_checks (institution, movement_id);

-- +goose Down
DROP TABLE ticket_checks;
DROP TABLE document_heads;
DROP TABLE documents;
