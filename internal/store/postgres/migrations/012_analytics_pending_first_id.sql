-- +goose Up
-- Pruning keeps every version the projector may not have applied yet.
-- It read the queue's entries of the stream for every batch and unnested
-- their ids: a sustained push keeps hundreds of thousands queued, and each
-- batch of 100 versions then took most of a second (pruning beside 16
-- senders fell from 1,100 to 290 rows/s). A contact or order entry's ids
-- are document ids in ascending order (SaveVersions: array_agg ORDER BY
-- id, or one id), so its first id is its least, and no queued version is
-- below the least first id of its stream's entries: one lookup in this
-- index bounds them all (queries/retention.sql, PrunableVersions).
CREATE INDEX analytics_pending_first_id ON analytics_pending (kind, institution, (ids[1])) WHERE kind <> 'checks';

-- +goose Down
DROP INDEX analytics_pending_first_id;
