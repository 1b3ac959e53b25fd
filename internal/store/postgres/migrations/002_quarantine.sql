-- +goose Up
-- Documents that failed validation, kept aside until a replay against a
-- corrected schema moves them into documents or ticket_checks. body is
-- bytea, not jsonb: a quarantined document may be the very one jsonb cannot
-- hold (a \u0000 escape, a lone surrogate, bytes that are not UTF-8), and
-- nothing a venue sends is lost. It also keeps the bytes as received.
CREATE TABLE quarantine (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution     text        NOT NULL,
    stream          text        NOT NULL,
    doc_type        text        NOT NULL,
    external_id     text        NOT NULL DEFAULT '',
    content_hash    text        NOT NULL,
    body            bytea       NOT NULL,
    schema_version  text        NOT NULL,
    violations      jsonb       NOT NULL,
    received_at     timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    seen_count      integer     NOT NULL DEFAULT 1,
    replayed_at     timestamptz,
    released_at     timestamptz,
    release_outcome text
);
-- A bad document pushed again while pending is one row, seen twice.
CREATE UNIQUE INDEX quarantine_pending_content ON quarantine (institution, doc_type, content_hash)
    WHERE released_at IS NULL;
CREATE INDEX quarantine_by_institution ON quarantine (institution, stream, id);

-- +goose Down
DROP TABLE quarantine;
