-- +goose Up
-- The analytics projections leave the acknowledgement path. Migration
-- 003's triggers updated the rollups inside the transaction that stores a
-- payload, for every check and order, which cost ingest an order of
-- magnitude (docs/performance.md). Now a payload only queues what it
-- stored, and a projector (Store.ProjectAnalytics) applies the queue in
-- batches shortly after, set-wise. The per-order procedure of 003 (an
-- insert into analytics_order_ops) stays for the way down.
DROP TRIGGER ticket_checks_analytics;
DROP TRIGGER contacts_analytics;
DROP TRIGGER order_heads_analytics_insert;
DROP TRIGGER order_heads_analytics_update;

-- What ingest stored and the projections have not applied yet: a ticket
-- check (ref is its ticket_check_id) or a contact or order version (ref
-- is its document id).
CREATE TABLE analytics_pending (
    seq         INTEGER PRIMARY KEY,
    institution TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('checks', 'contacts', 'orders')),
    ref         INTEGER NOT NULL,
    queued_at   TEXT    NOT NULL
);
-- The projector reads one kind at a time, the oldest first; without this
-- index every statement of a slice of checks scanned the orders waiting
-- behind them.
CREATE INDEX analytics_pending_kind ON analytics_pending (kind, seq);

-- The version of each order that the rollups hold. The projector compares
-- it with the order's head: versions arrive out of order and in bursts,
-- and only a change of head moves the rollups.
CREATE TABLE analytics_applied_orders (
    institution TEXT    NOT NULL,
    order_id    TEXT    NOT NULL,
    document_id INTEGER NOT NULL,
    PRIMARY KEY (institution, order_id)
) WITHOUT ROWID;
-- Until now the triggers applied every head as it moved.
INSERT INTO analytics_applied_orders (institution, order_id, document_id)
SELECT institution, external_id, document_id FROM document_heads WHERE stream = 'orders';

-- Work tables of the order projection, empty outside it: the orders of a
-- batch whose head changed, the versions leaving (-1) and arriving (+1),
-- and their lines.
CREATE TABLE analytics_order_batch (
    institution TEXT    NOT NULL,
    order_id    TEXT    NOT NULL,
    old_doc     INTEGER,
    new_doc     INTEGER NOT NULL
);
CREATE TABLE analytics_batch_versions (
    document_id INTEGER NOT NULL,
    sign        INTEGER NOT NULL,
    institution TEXT    NOT NULL,
    order_id    TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    o           BLOB    NOT NULL -- the order as JSONB, parsed once
);
CREATE TABLE analytics_batch_lines (
    document_id INTEGER NOT NULL,
    sign        INTEGER NOT NULL,
    institution TEXT    NOT NULL,
    order_id    TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    product     TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    movement_id INTEGER,
    audience    TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    tickets     INTEGER NOT NULL,
    gross       INTEGER NOT NULL,
    refunded    INTEGER NOT NULL
);

-- +goose Down
-- Back to the triggers of 003. What was queued and not applied is lost to
-- the rollups: run `usher report rebuild` after migrating down.
DROP TABLE analytics_batch_lines;
DROP TABLE analytics_batch_versions;
DROP TABLE analytics_order_batch;
DROP TABLE analytics_applied_orders;
DROP TABLE analytics_pending;
      FROM documents WHERE stream = 'contacts');

-- +goose StatementBegin
CREATE TRIGGER ticket_checks_analytics AFTER INSERT ON ticket_checks
BEGIN
    INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
    SELECT institution, hour, check_flow, ok, 1 FROM ticket_check_facts
    WHERE institution = NEW.institution AND ticket_check_id = NEW.ticket_check_id
    ON CONFLICT (institution, hour, check_flow, ok) DO UPDATE SET checks = checks + 1;

    INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
    SELECT institution, day, gate, check_flow, result, failure_reason, 1 FROM ticket_check_facts
    WHERE institution = NEW.institution AND ticket_check_id = NEW.ticket_check_id
    ON CONFLICT (institution, day, gate, check_flow, result, failure_reason) DO UPDATE SET checks = checks + 1;

    INSERT INTO attendance_movement_daily (institution, day, dimension, label, check_flow, ok, matched, checks)
    SELECT f.institution, f.day, d.dimension,
           coalesce(CASE d.dimension WHEN 'product' THEN om.product WHEN 'audience' THEN om.audience ELSE om.category END, ''),
           f.check_flow, f.ok, om.movement_id IS NOT NULL, 1
    FROM ticket_check_facts f
    CROSS JOIN analytics_dimensions d
    LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
    WHERE f.institution = NEW.institution AND f.ticket_check_id = NEW.ticket_check_id
    ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched) DO UPDATE SET checks = checks + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER contacts_analytics AFTER INSERT ON documents WHEN NEW.stream = 'contacts'
BEGIN
    INSERT INTO contacts_daily (institution, day, party, change, contacts)
    SELECT institution, day, party, change, 1 FROM contact_changes WHERE document_id = NEW.id
    ON CONFLICT (institution, day, party, change) DO UPDATE SET contacts = contacts + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER order_heads_analytics_insert AFTER INSERT ON document_heads WHEN NEW.stream = 'orders'
BEGIN
    INSERT INTO analytics_order_ops (document_id, sign) VALUES (NEW.document_id, 1);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER order_heads_analytics_update AFTER UPDATE OF document_id ON document_heads
WHEN NEW.stream = 'orders' AND OLD.document_id <> NEW.document_id
BEGIN
    INSERT INTO analytics_order_ops (document_id, sign) VALUES (OLD.document_id, -1), (NEW.document_id, 1);
END;
-- +goose StatementEnd
