-- +goose Up
-- Pruning reads the analytics queue's entries of one kind for every batch
-- (queries/retention.sql, pending) and the projector takes one kind at a
-- time, the oldest first. Without this index each was a scan of the whole
-- queue: with 590,000 order entries queued behind a sustained push, 96 ms
-- of every batch of 100 contact versions pruned (0.15 ms with it), and
-- pruning beside pushes went at 408 rows/s. SQLite has had it since 007.
CREATE INDEX analytics_pending_kind ON analytics_pending (kind, seq);

-- +goose Down
DROP INDEX analytics_pending_kind;
