-- +goose Up
-- Audit trail of GDPR erasures. It names the contact only by the
-- upstream's pseudonymous contact number.
CREATE TABLE erasures (
    id             INTEGER PRIMARY KEY,
    institution    TEXT NOT NULL,
    contact_number TEXT NOT NULL,
    actor          TEXT NOT NULL,
    reason         TEXT NOT NULL,
    erased_at      TEXT NOT NULL,
    rewritten      TEXT NOT NULL CHECK (json_valid(rewritten))
);
CREATE INDEX erasures_institution ON erasures (institution, erased_at);

-- +goose Down
DROP TABLE erasures;
