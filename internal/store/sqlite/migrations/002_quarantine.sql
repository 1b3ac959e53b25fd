-- +goose Up
-- Documents that failed validation, kept aside until a replay against a
-- corrected schema moves them into documents or ticket_checks. body is a
-- BLOB holding the bytes exactly as received: a quarantined document may be
-- the very one no JSON column could hold, and nothing a venue sends is lost.
CREATE TABLE quarantine (
    id              INTEGER PRIMARY KEY,
    institution     TEXT    NOT NULL,
    stream          TEXT    NOT NULL,
    doc_type        TEXT    NOT NULL,
    external_id     TEXT    NOT NULL DEFAULT '',
    content_hash    TEXT    NOT NULL,
    body            BLOB    NOT NULL,
    schema_version  TEXT    NOT NULL,
    violations      TEXT    NOT NULL CHECK (json_valid(violations)),
    received_at     TEXT    NOT NULL,
    last_seen_at    TEXT    NOT NULL,
    seen_count      INTEGER NOT NULL DEFAULT 1,
    replayed_at     TEXT,
    released_at     TEXT,
    release_outcome TEXT
);
-- A bad document pushed again while pending is one row, seen twice.
CREATE UNIQUE INDEX quarantine_pending_content ON quarantine (institution, doc_type, content_hash)
    WHERE released_at IS NULL;
CREATE INDEX quarantine_by_institution ON quarantine (institution, stream, id);

-- +goose Down
DROP TABLE quarantine;
