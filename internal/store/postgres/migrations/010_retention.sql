-- +goose Up
-- Retention is audited where erasures are: a pruning run is a row of
-- erasures whose kind is 'retention' (contact_number empty, rewritten the
-- run's record). Erasures keep kind 'erasure'. A constant default adds
-- the column without rewriting the table.
ALTER TABLE erasures ADD COLUMN kind text NOT NULL DEFAULT 'erasure' CHECK (kind IN ('erasure', 'retention'));
-- Deleting a version checks that no head names it (the foreign key of
-- document_heads): without this index, a scan of every head per version.
CREATE INDEX document_heads_document ON document_heads (document_id);
-- Quarantined documents are pruned by the time they were last pushed.
CREATE INDEX quarantine_last_seen ON quarantine (institution, stream, last_seen_at);

-- +goose Down
DROP INDEX document_heads_document;
DROP INDEX quarantine_last_seen;
DELETE FROM erasures WHERE kind = 'retention';
ALTER TABLE erasures DROP COLUMN kind;
