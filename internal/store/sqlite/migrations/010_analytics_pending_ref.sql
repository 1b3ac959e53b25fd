-- +goose Up
-- Pruning keeps every version the projector has not applied yet. It built
-- the set of the stream's queued ids for every batch: a sustained push
-- keeps hundreds of thousands queued, and each batch of 100 versions then
-- took most of a second. With this index each version is one probe
-- (queries/retention.sql, PrunableVersions). Ticket checks, most of what
-- is queued, stay out of it: they would pay for it on every push.
CREATE INDEX analytics_pending_ref ON analytics_pending (ref, kind, institution) WHERE kind IN ('contacts', 'orders');

-- +goose Down
DROP INDEX analytics_pending_ref;
