-- +goose Up
-- Nothing filters, joins or sorts on a stored body, nor on a content hash
-- but through an index led by the document's key: their statistics only
-- made every ANALYZE (autovacuum's, and the projector's as a new database
-- doubles) detoast and sort 30,000 bodies, about a third of its time.
ALTER TABLE documents
    ALTER COLUMN body SET STATISTICS 0,
    ALTER COLUMN content_hash SET STATISTICS 0;
ALTER TABLE ticket_checks
    ALTER COLUMN body SET STATISTICS 0,
    ALTER COLUMN content_hash SET STATISTICS 0;

-- An order's body is just over the 2 kB at which PostgreSQL compresses a
-- row, so nearly every order is compressed on the acknowledgement path
-- and decompressed by the projector. lz4 does both faster than the
-- default pglz for the same size here (docs/performance.md). Rows already
-- stored keep pglz; a server built without lz4 (or older than 14) keeps
-- pglz for all.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE documents ALTER COLUMN body SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE ticket_checks ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'lz4 unavailable, bodies stay compressed with pglz: %', SQLERRM;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE documents ALTER COLUMN body SET COMPRESSION pglz';
    EXECUTE 'ALTER TABLE ticket_checks ALTER COLUMN body SET COMPRESSION pglz';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
-- +goose StatementEnd
ALTER TABLE ticket_checks
    ALTER COLUMN body SET STATISTICS -1,
    ALTER COLUMN content_hash SET STATISTICS -1;
ALTER TABLE documents
    ALTER COLUMN body SET STATISTICS -1,
    ALTER COLUMN content_hash SET STATISTICS -1;
