-- +goose Up
-- Analytics projections: rollups the venue reports read instead of the raw
-- documents, kept in sync by triggers inside the transaction that stores
-- the documents (so no ingest code changes and no window where a report
-- sees a document without its projection). Every projection can be
-- rebuilt from the documents (Store.RebuildAnalytics).
--
-- Days and hours are the venue's wall clock as S-360 writes it: the date
-- written in a timestamp, before its offset. Keys never hold NULL ('' or
-- false instead), because NULLs are distinct in a primary key.

-- Successful (OK, OFFLINE_OK) and refused checks per hour and flow.
CREATE TABLE attendance_hourly (
    institution text      NOT NULL,
    hour        timestamp NOT NULL,
    check_flow  text      NOT NULL,
    ok          boolean   NOT NULL,
    checks      bigint    NOT NULL,
    PRIMARY KEY (institution, hour, check_flow, ok)
);

-- Checks per day, gate, flow, result and failure reason.
CREATE TABLE gate_daily (
    institution    text   NOT NULL,
    day            date   NOT NULL,
    gate           text   NOT NULL,
    check_flow     text   NOT NULL,
    result         text   NOT NULL,
    failure_reason text   NOT NULL,
    checks         bigint NOT NULL,
    PRIMARY KEY (institution, day, gate, check_flow, result, failure_reason)
);

-- The movements of each order's current version: what a ticket check's
-- movement_id points at.
CREATE TABLE order_movements (
    institution text   NOT NULL,
    movement_id bigint NOT NULL,
    order_id    text   NOT NULL,
    product     text   NOT NULL,
    audience    text   NOT NULL,
    category    text   NOT NULL,
    PRIMARY KEY (institution, movement_id)
);
CREATE INDEX order_movements_order ON order_movements (institution, order_id);

-- Checks per day joined to their movement, once per dimension (product,
-- audience, category) so that each breakdown reads only its own rows
-- instead of their cross product. matched = false rows (label '') count
-- checks whose order usher has not received yet; they move to a matched
-- row when the order arrives.
CREATE TABLE attendance_movement_daily (
    institution text    NOT NULL,
    dimension   text    NOT NULL,
    day         date    NOT NULL,
    label       text    NOT NULL,
    check_flow  text    NOT NULL,
    ok          boolean NOT NULL,
    matched     boolean NOT NULL,
    checks      bigint  NOT NULL,
    PRIMARY KEY (institution, dimension, day, label, check_flow, ok, matched)
);

-- The breakdown dimensions, one row each.
CREATE TABLE analytics_dimensions (dimension text PRIMARY KEY);
INSERT INTO analytics_dimensions VALUES ('product'), ('audience'), ('category');

-- Sales per order day, kind (sale, refund, abandoned, pending) and
-- dimension: 'all' (label ''), 'product' or 'event'. Money in thousandths.
CREATE TABLE sales_daily (
    institution text    NOT NULL,
    dimension   text    NOT NULL,
    day         date    NOT NULL,
    label       text    NOT NULL,
    kind        text    NOT NULL,
    orders      bigint  NOT NULL,
    tickets     bigint  NOT NULL,
    gross       numeric NOT NULL,
    refunded    numeric NOT NULL,
    PRIMARY KEY (institution, dimension, day, label, kind)
);

-- Contact changes per day, party (person, company) and change (new, updated).
CREATE TABLE contacts_daily (
    institution text   NOT NULL,
    day         date   NOT NULL,
    party       text   NOT NULL,
    change      text   NOT NULL,
    contacts    bigint NOT NULL,
    PRIMARY KEY (institution, day, party, change)
);

-- The ingest-health page asks for the newest check and a recent count.
CREATE INDEX ticket_checks_received ON ticket_checks (institution, received_at);

-- Lenient readers for values inside documents: a projection must never
-- make ingest fail, so a value of the wrong type reads as NULL (the
-- validation layer reports it) instead of raising an error.
-- +goose StatementBegin
CREATE FUNCTION analytics_date(t text) RETURNS date LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF t ~ '^\d{4}-\d{2}-\d{2}' THEN
        RETURN left(t, 10)::date;
    END IF;
    RETURN NULL;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Amounts and quantities are JSON numbers below 10^15 (a trillion currency
-- units), rounded to whole thousandths; anything else reads as missing.
CREATE FUNCTION analytics_number(j jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'number' AND abs(j::numeric) < 1e15 THEN round(j::numeric) END
$$;

CREATE FUNCTION analytics_bigint(j jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j #>> '{}' ~ '^-?\d{1,18}$' AND jsonb_typeof(j) IN ('number', 'string') THEN (j #>> '{}')::bigint END
$$;

-- One row per ticket check with the columns the rollups group by. The gate
-- is an optional column of the data-export query (gate, access_point or
-- ac_identifier); S-360's documented example has none.
CREATE VIEW ticket_check_facts AS
SELECT institution, ticket_check_id, movement_id,
       access_time::date AS day,
       date_trunc('hour', access_time) AS hour,
       check_flow, result, failure_reason,
       result IN ('OK', 'OFFLINE_OK') AS ok,
       coalesce(body ->> 'gate', body ->> 'access_point', body ->> 'ac_identifier', '') AS gate
FROM ticket_checks;

-- One row per stored order version: its day and kind. The order webhook
-- wraps the order in orderDetailsData; a bare order is accepted too.
CREATE VIEW order_facts AS
SELECT document_id, institution, order_id,
       coalesce(analytics_date(coalesce(o ->> 'creationDateTime', o ->> 'closingDateTime')), (received_at AT TIME ZONE 'UTC')::date) AS day,
       CASE
           WHEN upper(coalesce(o ->> 'orderState', '')) IN ('ABANDONNED', 'ABANDONED', 'CANCELED', 'CANCELLED') THEN 'abandoned'
           WHEN upper(coalesce(o ->> 'orderType', '')) IN ('REFUND', 'CREDIT_NOTE') THEN 'refund'
           WHEN upper(coalesce(o ->> 'orderType', '')) IN ('RESERVATION', 'OPTION')
             OR upper(coalesce(o ->> 'orderState', '')) IN ('IN_OPTION', 'IN_RESERVATION', 'OPTION_RESERV') THEN 'pending'
           ELSE 'sale'
       END AS kind,
       o
FROM (SELECT id AS document_id, institution, external_id AS order_id, received_at,
             CASE WHEN jsonb_typeof(body -> 'orderDetailsData') = 'object' THEN body -> 'orderDetailsData' ELSE body END AS o
      FROM documents WHERE stream = 'orders') d;

-- One row per movement of a stored order version (or per operation that
-- carries no movements), with its signed ticket count and amounts: refund
-- orders, refund movements and negative amounts count against the sale.
CREATE VIEW order_lines AS
SELECT document_id, institution, order_id, day, kind, product, event, movement_id, audience, category,
       CASE WHEN negative THEN -abs(quantity) ELSE quantity END AS tickets,
       CASE WHEN negative THEN 0 ELSE amount END AS gross,
       CASE WHEN negative THEN abs(amount) ELSE 0 END AS refunded
FROM (SELECT *, kind = 'refund' OR movement_type IN ('REFUND', 'CANCELLATION', 'RETURN') OR amount < 0 AS negative
      FROM (SELECT f.document_id, f.institution, f.order_id, f.day, f.kind,
                   coalesce(op ->> 'product', op ->> 'productCode', op ->> 'productId', '') AS product,
                   coalesce(op ->> 'event', op ->> 'performance', op ->> 'eventId', '') AS event,
                   analytics_bigint(mv -> 'movementId') AS movement_id,
                   coalesce(mv ->> 'audienceSubCategory', '') AS audience,
                   coalesce(mv ->> 'mainCategory', '') AS category,
                   upper(coalesce(mv ->> 'movementType', '')) AS movement_type,
                   CASE WHEN mv IS NULL THEN coalesce(analytics_number(op -> 'quantity'), 1) ELSE 1 END AS quantity,
                   CASE WHEN mv IS NULL THEN coalesce(analytics_number(op -> 'quantity'), 1) * coalesce(analytics_number(op -> 'unitPrice'), 0)
                        ELSE coalesce(analytics_number(mv -> 'amount'), 0) END AS amount
            FROM order_facts f
            CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(f.o -> 'operationDatas') = 'array' THEN f.o -> 'operationDatas' ELSE '[]' END) op
            LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(op -> 'movementDatas') = 'array' THEN op -> 'movementDatas' ELSE '[]' END) mv ON true
           ) raw_lines
     ) signed_lines;

-- One row per stored contact version: a first version is a new contact on
-- its creation date, a later one an update on its lastUpdateDate.
CREATE VIEW contact_changes AS
SELECT id AS document_id, institution,
       CASE WHEN version = 1 THEN 'new' ELSE 'updated' END AS change,
       CASE WHEN upper(coalesce(body ->> 'type', '')) IN ('STRUCTURE', 'COMPANY', 'ORGANIZATION', 'ORGANISATION', 'LEGAL_ENTITY')
              OR jsonb_typeof(body -> 'structureContact') = 'object' THEN 'company' ELSE 'person' END AS party,
       coalesce(analytics_date(CASE WHEN version = 1 THEN coalesce(body ->> 'creationDate', body ->> 'lastUpdateDate')
                                    ELSE coalesce(body ->> 'lastUpdateDate', body ->> 'creationDate') END),
                (received_at AT TIME ZONE 'UTC')::date) AS day
FROM documents WHERE stream = 'contacts';

-- Checks: statement-level triggers read the inserted rows as a set, so a
-- payload (or a bulk COPY) costs one upsert per rollup row, not per check.
-- +goose StatementBegin
CREATE FUNCTION analytics_checks_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
    SELECT f.institution, f.hour, f.check_flow, f.ok, count(*)
    FROM new_checks n JOIN ticket_check_facts f USING (institution, ticket_check_id)
    GROUP BY f.institution, f.hour, f.check_flow, f.ok
    ON CONFLICT (institution, hour, check_flow, ok) DO UPDATE SET checks = attendance_hourly.checks + excluded.checks;

    INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
    SELECT f.institution, f.day, f.gate, f.check_flow, f.result, f.failure_reason, count(*)
    FROM new_checks n JOIN ticket_check_facts f USING (institution, ticket_check_id)
    GROUP BY f.institution, f.day, f.gate, f.check_flow, f.result, f.failure_reason
    ON CONFLICT (institution, day, gate, check_flow, result, failure_reason) DO UPDATE SET checks = gate_daily.checks + excluded.checks;

    INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
    SELECT f.institution, d.dimension, f.day,
           coalesce(CASE d.dimension WHEN 'product' THEN om.product WHEN 'audience' THEN om.audience ELSE om.category END, ''),
           f.check_flow, f.ok, om.movement_id IS NOT NULL, count(*)
    FROM new_checks n JOIN ticket_check_facts f USING (institution, ticket_check_id)
    CROSS JOIN analytics_dimensions d
    LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched)
    DO UPDATE SET checks = attendance_movement_daily.checks + excluded.checks;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER ticket_checks_analytics AFTER INSERT ON ticket_checks
REFERENCING NEW TABLE AS new_checks
FOR EACH STATEMENT EXECUTE FUNCTION analytics_checks_inserted();

-- +goose StatementBegin
CREATE FUNCTION analytics_contacts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contacts_daily (institution, day, party, change, contacts)
    SELECT c.institution, c.day, c.party, c.change, count(*)
    FROM new_documents n JOIN contact_changes c ON c.document_id = n.id
    GROUP BY c.institution, c.day, c.party, c.change
    ON CONFLICT (institution, day, party, change) DO UPDATE SET contacts = contacts_daily.contacts + excluded.contacts;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER contacts_analytics AFTER INSERT ON documents
REFERENCING NEW TABLE AS new_documents
FOR EACH STATEMENT EXECUTE FUNCTION analytics_contacts_inserted();

-- Moves the checks of the given movements between the unmatched rows and
-- the matched rows of their current order_movements entries.
-- +goose StatementBegin
CREATE FUNCTION analytics_shift_checks(p_institution text, p_movements bigint[], p_to_matched boolean) RETURNS void LANGUAGE sql AS $$
    INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
    SELECT institution, dimension, day, label, check_flow, ok, matched, sum(n) FROM (
        SELECT f.institution, d.dimension, f.day,
               CASE d.dimension WHEN 'product' THEN om.product WHEN 'audience' THEN om.audience ELSE om.category END AS label,
               f.check_flow, f.ok, true AS matched, CASE WHEN p_to_matched THEN count(*) ELSE -count(*) END AS n
        FROM order_movements om
        JOIN ticket_check_facts f ON f.institution = om.institution AND f.movement_id = om.movement_id
        CROSS JOIN analytics_dimensions d
        WHERE om.institution = p_institution AND om.movement_id = ANY (p_movements)
        GROUP BY 1, 2, 3, 4, 5, 6
        UNION ALL
        SELECT f.institution, d.dimension, f.day, '', f.check_flow, f.ok, false,
               CASE WHEN p_to_matched THEN -count(*) ELSE count(*) END
        FROM order_movements om
        JOIN ticket_check_facts f ON f.institution = om.institution AND f.movement_id = om.movement_id
        CROSS JOIN analytics_dimensions d
        WHERE om.institution = p_institution AND om.movement_id = ANY (p_movements)
        GROUP BY 1, 2, 3, 4, 5, 6
    ) moved
    GROUP BY institution, dimension, day, label, check_flow, ok, matched
    ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched)
    DO UPDATE SET checks = attendance_movement_daily.checks + excluded.checks;
$$;
-- +goose StatementEnd

-- Applies one order version with a sign: +1 when it becomes current, -1
-- when a newer version replaces it. Sales rollups add or remove its lines;
-- its movements are unlinked (-1: the order's own) or relinked (+1: those
-- the version claims, whoever held them), moving the checks that point at
-- them between the unmatched and the matched attendance rows.
-- +goose StatementBegin
CREATE FUNCTION analytics_apply_order(p_document_id bigint, p_sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_institution text;
    v_order       text;
    v_movements   bigint[];
    v_checked     boolean;
BEGIN
    SELECT institution, external_id INTO v_institution, v_order FROM documents WHERE id = p_document_id;

    -- One statement, one reading of the order's lines: the whole order,
    -- then its products and events.
    WITH lines AS MATERIALIZED (SELECT * FROM order_lines WHERE document_id = p_document_id)
    INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
    SELECT f.institution, 'all', f.day, '', f.kind, p_sign,
           p_sign * coalesce(sum(l.tickets), 0), p_sign * coalesce(sum(l.gross), 0), p_sign * coalesce(sum(l.refunded), 0)
    FROM order_facts f LEFT JOIN lines l ON true
    WHERE f.document_id = p_document_id
    GROUP BY f.institution, f.day, f.kind
    UNION ALL
    SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END, l.kind,
           p_sign, p_sign * sum(l.tickets), p_sign * sum(l.gross), p_sign * sum(l.refunded)
    FROM lines l CROSS JOIN (VALUES ('product'), ('event')) AS d (dimension)
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (institution, dimension, day, label, kind) DO UPDATE SET
        orders = sales_daily.orders + excluded.orders, tickets = sales_daily.tickets + excluded.tickets,
        gross = sales_daily.gross + excluded.gross, refunded = sales_daily.refunded + excluded.refunded;

    IF p_sign < 0 THEN
        v_movements := ARRAY(SELECT movement_id FROM order_movements WHERE institution = v_institution AND order_id = v_order);
    ELSE
        v_movements := ARRAY(SELECT DISTINCT movement_id FROM order_lines WHERE document_id = p_document_id AND movement_id IS NOT NULL);
    END IF;
    -- Most orders arrive before anyone is checked in with them: then no
    -- check has to move.
    v_checked := EXISTS (SELECT 1 FROM ticket_checks WHERE institution = v_institution AND movement_id = ANY (v_movements));
    IF v_checked THEN
        PERFORM analytics_shift_checks(v_institution, v_movements, false);
    END IF;
    DELETE FROM order_movements WHERE institution = v_institution AND movement_id = ANY (v_movements);
    IF p_sign > 0 THEN
        INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
        SELECT DISTINCT ON (movement_id) institution, movement_id, order_id, product, audience, category
        FROM order_lines WHERE document_id = p_document_id AND movement_id IS NOT NULL
        ORDER BY movement_id;
        IF v_checked THEN
            PERFORM analytics_shift_checks(v_institution, v_movements, true);
        END IF;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION analytics_order_head_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.document_id = NEW.document_id THEN
            RETURN NULL;
        END IF;
        PERFORM analytics_apply_order(OLD.document_id, -1);
    END IF;
    PERFORM analytics_apply_order(NEW.document_id, 1);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER document_heads_analytics AFTER INSERT OR UPDATE OF document_id ON document_heads
FOR EACH ROW WHEN (NEW.stream = 'orders') EXECUTE FUNCTION analytics_order_head_changed();

-- +goose Down
DROP TRIGGER document_heads_analytics ON document_heads;
DROP FUNCTION analytics_order_head_changed();
DROP FUNCTION analytics_apply_order(bigint, integer);
DROP FUNCTION analytics_shift_checks(text, bigint[], boolean);
DROP TRIGGER contacts_analytics ON documents;
DROP FUNCTION analytics_contacts_inserted();
DROP TRIGGER ticket_checks_analytics ON ticket_checks;
DROP FUNCTION analytics_checks_inserted();
DROP VIEW contact_changes;
DROP VIEW order_lines;
DROP VIEW order_facts;
DROP VIEW ticket_check_facts;
DROP FUNCTION analytics_bigint(jsonb);
DROP FUNCTION analytics_number(jsonb);
DROP FUNCTION analytics_date(text);
DROP INDEX ticket_checks_received;
DROP TABLE contacts_daily;
DROP TABLE sales_daily;
DROP TABLE analytics_dimensions;
DROP TABLE attendance_movement_daily;
DROP TABLE order_movements;
DROP TABLE gate_daily;
DROP TABLE attendance_hourly;
