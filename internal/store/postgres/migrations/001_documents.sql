-- +goose Up
-- Every version of every contact and order, kept as received (JSONB).
CREATE TABLE documents (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution         text        NOT NULL,
    stream              text        NOT NULL,
    external_id         text        NOT NULL,
    version             integer     NOT NULL,
    content_hash        text        NOT NULL,
    body                jsonb       NOT NULL,
    upstream_updated_at timestamptz,
    received_at         timestamptz NOT NULL,
    UNIQUE (institution, stream, external_id, content_hash),
    UNIQUE (institution, stream, external_id, version)
);
CREATE INDEX documents_received ON documents (institution, stream, received_at);

-- The current version of each document: the newest by upstream time.
CREATE TABLE document_heads (
    institution         text    NOT NULL,
    stream              text    NOT NULL,
    external_id         text    NOT NULL,
    document_id         bigint  NOT NULL REFERENCES documents (id),
    version             integer NOT NULL,
    upstream_updated_at timestamptz,
    PRIMARY KEY (institution, stream, external_id)
);

-- Access-control checks are immutable: one row per ticket_check_id.
-- access_time is the gate's wall-clock time: S-360 sends it without a zone.
CREATE TABLE ticket_checks (
    institution     text        NOT NULL,
    ticket_check_id bigint      NOT NULL,
    movement_id     bigint      NOT NULL,
    ticket_id       bigint      NOT NULL,
    barcode         text        NOT NULL,
    access_time     timestamp   NOT NULL,
    check_flow      text        NOT NULL,
    result          text        NOT NULL,
    failure_reason  text        NOT NULL,
    content_hash    text        NOT NULL,
    body            jsonb       NOT NULL,
    received_at     timestamptz NOT NULL,
    PRIMARY KEY (institution, ticket_check_id)
);
CREATE INDEX ticket_checks_access ON ticket_checks (institution, access_time);
CREATE INDEX ticket_checks_movement ON ticket_checks (institution, movement_id);

-- +goose Down
DROP TABLE ticket_checks;
DROP TABLE document_heads;
DROP TABLE documents;
