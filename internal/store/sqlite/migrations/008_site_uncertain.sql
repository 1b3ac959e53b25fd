-- +goose Up
-- A hold whose sale's answer was lost is 'uncertain': the sale may have
-- used its spots, so it is never released (Centaman's holds are anonymous
-- counts; releasing could free another visitor's spots) and waits for
-- the venue to settle it. SQLite cannot change a CHECK, so the table is
-- rebuilt.
CREATE TABLE site_holds_new (
    id                  TEXT    PRIMARY KEY,
    institution         TEXT    NOT NULL,
    visitor             TEXT    NOT NULL,
    event_id            INTEGER NOT NULL,
    event_date          TEXT    NOT NULL,
    lines               TEXT    NOT NULL CHECK (json_valid(lines)),
    status              TEXT    NOT NULL CHECK (status IN ('active', 'released', 'expired', 'sold', 'uncertain')),
    expires_at          TEXT    NOT NULL,
    upstream_expires_at TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);
INSERT INTO site_holds_new SELECT * FROM site_holds;
DROP TABLE site_holds;
ALTER TABLE site_holds_new RENAME TO site_holds;
CREATE UNIQUE INDEX site_holds_one_active ON site_holds (institution, visitor, event_id) WHERE status = 'active';
CREATE INDEX site_holds_expiry ON site_holds (expires_at) WHERE status = 'active';
CREATE INDEX site_checkouts_state ON site_checkouts (institution, state, created_at);

-- +goose Down
DROP INDEX site_checkouts_state;
DELETE FROM site_holds WHERE status = 'uncertain';
CREATE TABLE site_holds_old (
    id                  TEXT    PRIMARY KEY,
    institution         TEXT    NOT NULL,
    visitor             TEXT    NOT NULL,
    event_id            INTEGER NOT NULL,
    event_date          TEXT    NOT NULL,
    lines               TEXT    NOT NULL CHECK (json_valid(lines)),
    status              TEXT    NOT NULL CHECK (status IN ('active', 'released', 'expired', 'sold')),
    expires_at          TEXT    NOT NULL,
    upstream_expires_at TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);
INSERT INTO site_holds_old SELECT * FROM site_holds;
DROP TABLE site_holds;
ALTER TABLE site_holds_old RENAME TO site_holds;
CREATE UNIQUE INDEX site_holds_one_active ON site_holds (institution, visitor, event_id) WHERE status = 'active';
CREATE INDEX site_holds_expiry ON site_holds (expires_at) WHERE status = 'active';
