-- +goose Up
-- A hold whose sale's answer was lost is 'uncertain': the sale may have
-- used its spots, so it is never released (Centaman's holds are anonymous
-- counts; releasing could free another visitor's spots) and waits for
-- the venue to settle it.
ALTER TABLE site_holds DROP CONSTRAINT site_holds_status_check;
ALTER TABLE site_holds ADD CONSTRAINT site_holds_status_check
    CHECK (status IN ('active', 'released', 'expired', 'sold', 'uncertain'));
CREATE INDEX site_checkouts_state ON site_checkouts (institution, state, created_at);

-- +goose Down
DROP INDEX site_checkouts_state;
DELETE FROM site_holds WHERE status = 'uncertain';
ALTER TABLE site_holds DROP CONSTRAINT site_holds_status_check;
ALTER TABLE site_holds ADD CONSTRAINT site_holds_status_check
    CHECK (status IN ('active', 'released', 'expired', 'sold'));
