-- +goose Up
-- Audit trail of GDPR erasures. It names the contact only by the
-- upstream's pseudonymous contact number.
CREATE TABLE erasures (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution    text        NOT NULL,
    contact_number text        NOT NULL,
    actor          text        NOT NULL,
    reason         text        NOT NULL,
    erased_at      timestamptz NOT NULL,
    rewritten      jsonb       NOT NULL
);
CREATE INDEX erasures_institution ON erasures (institution, erased_at);

-- +goose Down
DROP TABLE erasures;
