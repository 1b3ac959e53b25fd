-- +goose Up
-- Analytics projections: rollups the venue reports read instead of the raw
-- documents, kept in sync by triggers inside the transaction that stores
-- the documents (so no ingest code changes and no window where a report
-- sees a document without its projection). Every projection can be
-- rebuilt from the documents (Store.RebuildAnalytics).
--
-- Days and hours are the venue's wall clock as S-360 writes it: the first
-- 10 (day) or 13 (hour) characters of the timestamp. Keys never hold NULL
-- ('' instead), because NULLs are distinct in a primary key.

-- Successful (OK, OFFLINE_OK) and refused checks per hour and flow.
CREATE TABLE attendance_hourly (
    institution TEXT    NOT NULL,
    hour        TEXT    NOT NULL, -- 2023-02-09T18
    check_flow  TEXT    NOT NULL,
    ok          INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    PRIMARY KEY (institution, hour, check_flow, ok)
) WITHOUT ROWID;

-- Checks per day, gate, flow, result and failure reason.
CREATE TABLE gate_daily (
    institution    TEXT    NOT NULL,
    day            TEXT    NOT NULL,
    gate           TEXT    NOT NULL,
    check_flow     TEXT    NOT NULL,
    result         TEXT    NOT NULL,
    failure_reason TEXT    NOT NULL,
    checks         INTEGER NOT NULL,
    PRIMARY KEY (institution, day, gate, check_flow, result, failure_reason)
) WITHOUT ROWID;

-- The movements of each order's current version: what a ticket check's
-- movement_id points at.
CREATE TABLE order_movements (
    institution TEXT    NOT NULL,
    movement_id INTEGER NOT NULL,
    order_id    TEXT    NOT NULL,
    product     TEXT    NOT NULL,
    audience    TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    PRIMARY KEY (institution, movement_id)
) WITHOUT ROWID;
CREATE INDEX order_movements_order ON order_movements (institution, order_id);

-- Checks per day joined to their movement, once per dimension (product,
-- audience, category) so that each breakdown reads only its own rows
-- instead of their cross product. matched = 0 rows (label '') count checks
-- whose order usher has not received yet; they move to a matched row when
-- the order arrives.
CREATE TABLE attendance_movement_daily (
    institution TEXT    NOT NULL,
    dimension   TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    check_flow  TEXT    NOT NULL,
    ok          INTEGER NOT NULL,
    matched     INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    PRIMARY KEY (institution, dimension, day, label, check_flow, ok, matched)
) WITHOUT ROWID;

-- The breakdown dimensions, one row each.
CREATE TABLE analytics_dimensions (dimension TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO analytics_dimensions VALUES ('product'), ('audience'), ('category');

-- Sales per order day, kind (sale, refund, abandoned, pending) and
-- dimension: 'all' (label ''), 'product' or 'event'. Money in thousandths.
CREATE TABLE sales_daily (
    institution TEXT    NOT NULL,
    dimension   TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    orders      INTEGER NOT NULL,
    tickets     INTEGER NOT NULL,
    gross       INTEGER NOT NULL,
    refunded    INTEGER NOT NULL,
    PRIMARY KEY (institution, dimension, day, label, kind)
) WITHOUT ROWID;

-- Contact changes per day, party (person, company) and change (new, updated).
CREATE TABLE contacts_daily (
    institution TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    party       TEXT    NOT NULL,
    change      TEXT    NOT NULL,
    contacts    INTEGER NOT NULL,
    PRIMARY KEY (institution, day, party, change)
) WITHOUT ROWID;

-- The ingest-health page asks for the newest check and a recent count.
CREATE INDEX ticket_checks_received ON ticket_checks (institution, received_at);

-- Work tables of the order triggers, empty outside a trigger: SQLite has
-- no stored procedures, so "apply this order version with this sign" is an
-- insert into analytics_order_ops whose trigger does the work.
CREATE TABLE analytics_order_ops (
    document_id INTEGER NOT NULL,
    sign        INTEGER NOT NULL
);
CREATE TABLE analytics_movement_work (
    institution TEXT    NOT NULL,
    movement_id INTEGER NOT NULL,
    PRIMARY KEY (institution, movement_id)
) WITHOUT ROWID;
CREATE TABLE analytics_shift_ops (
    to_matched INTEGER NOT NULL
);
-- The lines of the order version being applied, read from its JSON once
-- per trigger run rather than once per statement.
CREATE TABLE analytics_line_work (
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

-- One row per ticket check with the columns the rollups group by. The gate
-- is an optional column of the data-export query (gate, access_point or
-- ac_identifier); S-360's documented example has none.
CREATE VIEW ticket_check_facts AS
SELECT institution, ticket_check_id, movement_id,
       substr(access_time, 1, 10) AS day,
       substr(access_time, 1, 13) AS hour,
       check_flow, result, failure_reason,
       result IN ('OK', 'OFFLINE_OK') AS ok,
       coalesce(CAST(coalesce(body ->> '$.gate', body ->> '$.access_point', body ->> '$.ac_identifier') AS TEXT), '') AS gate
FROM ticket_checks;

-- One row per stored order version: its day and kind. The order webhook
-- wraps the order in orderDetailsData; a bare order is accepted too.
CREATE VIEW order_facts AS
SELECT document_id, institution, order_id,
       coalesce(CASE WHEN date(substr(stamp, 1, 10)) = substr(stamp, 1, 10) THEN substr(stamp, 1, 10) END,
                substr(received_at, 1, 10)) AS day,
       CASE
           WHEN state IN ('ABANDONNED', 'ABANDONED', 'CANCELED', 'CANCELLED') THEN 'abandoned'
           WHEN type IN ('REFUND', 'CREDIT_NOTE') THEN 'refund'
           WHEN type IN ('RESERVATION', 'OPTION') OR state IN ('IN_OPTION', 'IN_RESERVATION', 'OPTION_RESERV') THEN 'pending'
           ELSE 'sale'
       END AS kind,
       o
FROM (SELECT *, coalesce(o ->> '$.creationDateTime', o ->> '$.closingDateTime') AS stamp,
             upper(coalesce(o ->> '$.orderState', '')) AS state, upper(coalesce(o ->> '$.orderType', '')) AS type
      FROM (SELECT id AS document_id, institution, external_id AS order_id, received_at,
                   CASE WHEN json_type(body, '$.orderDetailsData') = 'object' THEN body -> '$.orderDetailsData' ELSE body END AS o
            FROM documents WHERE stream = 'orders'));

-- One row per movement of a stored order version (or per operation that
-- carries no movements), with its signed ticket count and amounts: refund
-- orders, refund movements and negative amounts count against the sale.
-- Amounts and quantities are JSON numbers below 10^15 (a trillion currency
-- units); anything else reads as missing, as in the PostgreSQL engine.
CREATE VIEW order_lines AS
SELECT document_id, institution, order_id, day, kind, product, event, movement_id, audience, category,
       CASE WHEN negative THEN -abs(quantity) ELSE quantity END AS tickets,
       CASE WHEN negative THEN 0 ELSE amount END AS gross,
       CASE WHEN negative THEN abs(amount) ELSE 0 END AS refunded
FROM (SELECT *, kind = 'refund' OR movement_type IN ('REFUND', 'CANCELLATION', 'RETURN') OR amount < 0 AS negative
      FROM (SELECT document_id, institution, order_id, day, kind, product, event, movement_id, audience, category, movement_type,
                   CASE WHEN has_movement THEN 1 ELSE coalesce(op_quantity, 1) END AS quantity,
                   CASE WHEN has_movement THEN coalesce(mv_amount, 0) ELSE coalesce(op_quantity, 1) * coalesce(op_price, 0) END AS amount
            FROM (SELECT f.document_id, f.institution, f.order_id, f.day, f.kind,
                         coalesce(CAST(coalesce(op.value ->> '$.product', op.value ->> '$.productCode', op.value ->> '$.productId') AS TEXT), '') AS product,
                         coalesce(CAST(coalesce(op.value ->> '$.event', op.value ->> '$.performance', op.value ->> '$.eventId') AS TEXT), '') AS event,
                         CASE json_type(mv.value, '$.movementId')
                             WHEN 'integer' THEN mv.value ->> '$.movementId'
                             WHEN 'text' THEN CASE WHEN (mv.value ->> '$.movementId') NOT GLOB '*[^0-9]*' AND length(mv.value ->> '$.movementId') BETWEEN 1 AND 18
                                                   THEN CAST(mv.value ->> '$.movementId' AS INTEGER) END
                         END AS movement_id,
                         coalesce(CAST(mv.value ->> '$.audienceSubCategory' AS TEXT), '') AS audience,
                         coalesce(CAST(mv.value ->> '$.mainCategory' AS TEXT), '') AS category,
                         upper(coalesce(mv.value ->> '$.movementType', '')) AS movement_type,
                         mv.value IS NOT NULL AS has_movement,
                         CASE WHEN json_type(mv.value, '$.amount') IN ('integer', 'real') AND abs(mv.value ->> '$.amount') < 1e15
                              THEN CAST(round(mv.value ->> '$.amount') AS INTEGER) END AS mv_amount,
                         CASE WHEN json_type(op.value, '$.quantity') IN ('integer', 'real') AND abs(op.value ->> '$.quantity') < 1e15
                              THEN CAST(round(op.value ->> '$.quantity') AS INTEGER) END AS op_quantity,
                         CASE WHEN json_type(op.value, '$.unitPrice') IN ('integer', 'real') AND abs(op.value ->> '$.unitPrice') < 1e15
                              THEN CAST(round(op.value ->> '$.unitPrice') AS INTEGER) END AS op_price
                  FROM order_facts f
                  JOIN json_each(CASE WHEN json_type(f.o, '$.operationDatas') = 'array' THEN f.o -> '$.operationDatas' ELSE '[]' END) op
                  LEFT JOIN json_each(CASE WHEN json_type(op.value, '$.movementDatas') = 'array' THEN op.value -> '$.movementDatas' ELSE '[]' END) mv)));

-- One row per stored contact version: a first version is a new contact on
-- its creation date, a later one an update on its lastUpdateDate.
CREATE VIEW contact_changes AS
SELECT document_id, institution, change, party,
       coalesce(CASE WHEN date(substr(stamp, 1, 10)) = substr(stamp, 1, 10) THEN substr(stamp, 1, 10) END,
                substr(received_at, 1, 10)) AS day
FROM (SELECT id AS document_id, institution, received_at,
             CASE WHEN version = 1 THEN 'new' ELSE 'updated' END AS change,
             CASE WHEN upper(coalesce(body ->> '$.type', '')) IN ('STRUCTURE', 'COMPANY', 'ORGANIZATION', 'ORGANISATION', 'LEGAL_ENTITY')
                    OR json_type(body, '$.structureContact') = 'object' THEN 'company' ELSE 'person' END AS party,
             CASE WHEN version = 1 THEN coalesce(body ->> '$.creationDate', body ->> '$.lastUpdateDate')
                  ELSE coalesce(body ->> '$.lastUpdateDate', body ->> '$.creationDate') END AS stamp
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

-- Moves the checks of the movements in analytics_movement_work between
-- the unmatched rows and the matched rows of their order_movements entries
-- (the SQLite twin of PostgreSQL's analytics_shift_checks). CROSS JOIN and
-- INDEXED BY fix the plan: without statistics the planner would scan every
-- check of the institution per movement. The day and ok expressions are
-- those of ticket_check_facts.
-- +goose StatementBegin
CREATE TRIGGER analytics_shift_checks AFTER INSERT ON analytics_shift_ops
BEGIN
    INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
    SELECT institution, dimension, day, label, check_flow, ok, matched, sum(n) FROM (
        SELECT f.institution, d.dimension, substr(f.access_time, 1, 10) AS day,
               CASE d.dimension WHEN 'product' THEN om.product WHEN 'audience' THEN om.audience ELSE om.category END AS label,
               f.check_flow, f.result IN ('OK', 'OFFLINE_OK') AS ok, 1 AS matched,
               CASE WHEN NEW.to_matched THEN count(*) ELSE -count(*) END AS n
        FROM analytics_movement_work w
        CROSS JOIN order_movements om ON om.institution = w.institution AND om.movement_id = w.movement_id
        CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = om.institution AND f.movement_id = om.movement_id
        CROSS JOIN analytics_dimensions d
        GROUP BY 1, 2, 3, 4, 5, 6
        UNION ALL
        SELECT f.institution, d.dimension, substr(f.access_time, 1, 10), '', f.check_flow, f.result IN ('OK', 'OFFLINE_OK'), 0,
               CASE WHEN NEW.to_matched THEN -count(*) ELSE count(*) END
        FROM analytics_movement_work w
        CROSS JOIN order_movements om ON om.institution = w.institution AND om.movement_id = w.movement_id
        CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = om.institution AND f.movement_id = om.movement_id
        CROSS JOIN analytics_dimensions d
        GROUP BY 1, 2, 3, 4, 5, 6)
    GROUP BY institution, dimension, day, label, check_flow, ok, matched
    ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched) DO UPDATE SET checks = checks + excluded.checks;
    DELETE FROM analytics_shift_ops WHERE rowid = NEW.rowid;
END;
-- +goose StatementEnd

-- Applies one order version with a sign: +1 when it becomes current, -1
-- when a newer version replaces it. Sales rollups add or remove its lines;
-- its movements are unlinked (-1) or linked (+1), moving the checks that
-- point at them between the unmatched and the matched attendance rows.
-- +goose StatementBegin
CREATE TRIGGER analytics_order_ops_apply AFTER INSERT ON analytics_order_ops
BEGIN
    INSERT INTO analytics_line_work (institution, order_id, day, kind, product, event, movement_id, audience, category, tickets, gross, refunded)
    SELECT institution, order_id, day, kind, product, event, movement_id, audience, category, tickets, gross, refunded
    FROM order_lines WHERE document_id = NEW.document_id;

    INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
    SELECT f.institution, 'all', f.day, '', f.kind, NEW.sign, NEW.sign * l.tickets, NEW.sign * l.gross, NEW.sign * l.refunded
    FROM order_facts f,
         (SELECT coalesce(sum(tickets), 0) AS tickets, coalesce(sum(gross), 0) AS gross, coalesce(sum(refunded), 0) AS refunded
          FROM analytics_line_work) l
    WHERE f.document_id = NEW.document_id
    ON CONFLICT (institution, dimension, day, label, kind) DO UPDATE SET
        orders = orders + excluded.orders, tickets = tickets + excluded.tickets,
        gross = gross + excluded.gross, refunded = refunded + excluded.refunded;

    INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
    SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END, l.kind,
           NEW.sign, NEW.sign * sum(l.tickets), NEW.sign * sum(l.gross), NEW.sign * sum(l.refunded)
    FROM analytics_line_work l CROSS JOIN (SELECT 'product' AS dimension UNION ALL SELECT 'event') d
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (institution, dimension, day, label, kind) DO UPDATE SET
        orders = orders + excluded.orders, tickets = tickets + excluded.tickets,
        gross = gross + excluded.gross, refunded = refunded + excluded.refunded;

    -- The movements to unlink: the order's own when a version leaves, or
    -- those the new version claims (whoever held them) when one arrives.
    INSERT OR IGNORE INTO analytics_movement_work (institution, movement_id)
    SELECT om.institution, om.movement_id FROM order_movements om, documents d
    WHERE NEW.sign < 0 AND d.id = NEW.document_id AND om.institution = d.institution AND om.order_id = d.external_id;
    INSERT OR IGNORE INTO analytics_movement_work (institution, movement_id)
    SELECT institution, movement_id FROM analytics_line_work
    WHERE NEW.sign > 0 AND movement_id IS NOT NULL;

    -- Unlinking moves the checks of the work movements from their
    -- matched rows to unmatched ones; linking, back. Most orders arrive
    -- before anyone is checked in with them: then no check has to move.
    INSERT INTO analytics_shift_ops (to_matched) SELECT 0 WHERE EXISTS (
        SELECT 1 FROM analytics_movement_work w
        CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = w.institution AND f.movement_id = w.movement_id);

    DELETE FROM order_movements
    WHERE (institution, movement_id) IN (SELECT institution, movement_id FROM analytics_movement_work);

    INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
    SELECT institution, movement_id, order_id, product, audience, category FROM analytics_line_work
    WHERE NEW.sign > 0 AND movement_id IS NOT NULL
    ON CONFLICT (institution, movement_id) DO UPDATE SET
        order_id = excluded.order_id, product = excluded.product,
        audience = excluded.audience, category = excluded.category;

    INSERT INTO analytics_shift_ops (to_matched) SELECT 1 WHERE NEW.sign > 0 AND EXISTS (
        SELECT 1 FROM analytics_movement_work w
        CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = w.institution AND f.movement_id = w.movement_id);

    DELETE FROM analytics_line_work;
    DELETE FROM analytics_movement_work;
    DELETE FROM analytics_order_ops WHERE rowid = NEW.rowid;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER analytics_order_ops_apply;
DROP TRIGGER analytics_shift_checks;
DROP TRIGGER order_heads_analytics_update;
DROP TRIGGER order_heads_analytics_insert;
DROP TRIGGER contacts_analytics;
DROP TRIGGER ticket_checks_analytics;
DROP VIEW contact_changes;
DROP VIEW order_lines;
DROP VIEW order_facts;
DROP VIEW ticket_check_facts;
DROP TABLE analytics_line_work;
DROP TABLE analytics_shift_ops;
DROP TABLE analytics_movement_work;
DROP TABLE analytics_order_ops;
DROP INDEX ticket_checks_received;
DROP TABLE contacts_daily;
DROP TABLE sales_daily;
DROP TABLE analytics_dimensions;
DROP TABLE attendance_movement_daily;
DROP TABLE order_movements;
DROP TABLE gate_daily;
DROP TABLE attendance_hourly;
