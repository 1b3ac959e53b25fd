-- +goose Up
-- The analytics projections leave the acknowledgement path. Migration
-- 003's triggers updated the rollups inside the transaction that stores a
-- payload, which cost ingest an order of magnitude and serialised an
-- institution's payloads on its rollup rows (docs/performance.md). Now a
-- payload only queues what it stored, and a projector (analytics_project,
-- called by Store.ProjectAnalytics) applies the queue in batches shortly
-- after, set-wise. The trigger functions of 003 stay for the way down.
DROP TRIGGER ticket_checks_analytics ON ticket_checks;
DROP TRIGGER contacts_analytics ON documents;
DROP TRIGGER document_heads_analytics ON document_heads;

-- What ingest stored and the projections have not applied yet: a
-- statement's ticket checks (their ticket_check_ids), or one contact or
-- order version (its document id).
CREATE TABLE analytics_pending (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('checks', 'contacts', 'orders')),
    ids         bigint[]    NOT NULL,
    queued_at   timestamptz NOT NULL DEFAULT now()
);

-- The version of each order that the rollups hold. The projector compares
-- it with the order's head: versions arrive out of order and in bursts,
-- and only a change of head moves the rollups.
CREATE TABLE analytics_applied_orders (
    institution text   NOT NULL,
    order_id    text   NOT NULL,
    document_id bigint NOT NULL,
    PRIMARY KEY (institution, order_id)
);
-- Until now the triggers applied every head as it moved.
INSERT INTO analytics_applied_orders (institution, order_id, document_id)
SELECT institution, external_id, document_id FROM document_heads WHERE stream = 'orders';

-- Moves the checks of the given movements (institution and movement id
-- pairs) between the unmatched rows and the matched rows of their current
-- order_movements entries: 003's analytics_shift_checks for a batch that
-- may span institutions.
-- +goose StatementBegin
CREATE FUNCTION analytics_shift_movements(p_institutions text[], p_movements bigint[], p_to_matched boolean) RETURNS void LANGUAGE sql AS $$
    WITH checked AS MATERIALIZED (
        SELECT f.institution, f.day, f.check_flow, f.ok, om.product, om.audience, om.category, count(*) AS n
        FROM unnest(p_institutions, p_movements) AS w(institution, movement_id)
        JOIN order_movements om ON om.institution = w.institution AND om.movement_id = w.movement_id
        JOIN ticket_check_facts f ON f.institution = om.institution AND f.movement_id = om.movement_id
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    )
    INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
    SELECT institution, dimension, day, label, check_flow, ok, matched, sum(n) FROM (
        SELECT c.institution, d.dimension, c.day,
               CASE d.dimension WHEN 'product' THEN c.product WHEN 'audience' THEN c.audience ELSE c.category END AS label,
               c.check_flow, c.ok, true AS matched, CASE WHEN p_to_matched THEN c.n ELSE -c.n END AS n
        FROM checked c CROSS JOIN analytics_dimensions d
        UNION ALL
        SELECT c.institution, d.dimension, c.day, '', c.check_flow, c.ok, false, CASE WHEN p_to_matched THEN -c.n ELSE c.n END
        FROM checked c CROSS JOIN analytics_dimensions d
    ) moved
    GROUP BY institution, dimension, day, label, check_flow, ok, matched
    ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched)
    DO UPDATE SET checks = attendance_movement_daily.checks + excluded.checks;
$$;
-- +goose StatementEnd

-- Replaces, for each order i, the version p_old[i] the rollups hold (NULL
-- for a new order) with its head p_new[i]: the sales rollups lose the old
-- version's lines and gain the new one's, and the movements the orders
-- held or now claim are relinked, their checks moving between unmatched
-- and matched rows. A movement claimed by two new versions goes to the
-- later one, as in a rebuild.
-- +goose StatementBegin
CREATE FUNCTION analytics_apply_orders(p_institutions text[], p_orders text[], p_old bigint[], p_new bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_movement_institutions text[];
    v_movements             bigint[];
    v_checked               boolean;
BEGIN
    -- The links the new versions make land in a scratch table that lives
    -- as long as the session, emptied at each commit.
    IF to_regclass('pg_temp.analytics_new_links') IS NULL THEN
        CREATE TEMP TABLE analytics_new_links (
            institution text, movement_id bigint, order_id text, product text, audience text, category text
        ) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM analytics_new_links;

    -- Each version's facts are read once (facts), then its lines: 003's
    -- order_lines over them. Through the view, PostgreSQL evaluated the
    -- order's day and kind, and detoasted its body, again for every line,
    -- ten times the cost (docs/performance.md). The conformance suite
    -- checks that a batch and a rebuild (which reads the view) agree.
    WITH versions AS (
        SELECT o AS document_id, -1 AS sign FROM unnest(p_old) AS o WHERE o IS NOT NULL
        UNION ALL
        SELECT n, 1 FROM unnest(p_new) AS n
    ),
    facts AS MATERIALIZED (
        SELECT f.document_id, v.sign, f.institution, f.order_id, f.day, f.kind, f.o
        FROM versions v CROSS JOIN LATERAL (SELECT * FROM order_facts WHERE document_id = v.document_id OFFSET 0) f
    ),
    lines AS MATERIALIZED (
        SELECT document_id, sign, institution, order_id, day, kind, product, event, movement_id, audience, category,
               CASE WHEN negative THEN -abs(quantity) ELSE quantity END AS tickets,
               CASE WHEN negative THEN 0 ELSE amount END AS gross,
               CASE WHEN negative THEN abs(amount) ELSE 0 END AS refunded
        FROM (SELECT *, kind = 'refund' OR movement_type IN ('REFUND', 'CANCELLATION', 'RETURN') OR amount < 0 AS negative
              FROM (SELECT f.document_id, f.sign, f.institution, f.order_id, f.day, f.kind,
                           coalesce(op ->> 'product', op ->> 'productCode', op ->> 'productId', '') AS product,
                           coalesce(op ->> 'event', op ->> 'performance', op ->> 'eventId', '') AS event,
                           analytics_bigint(mv -> 'movementId') AS movement_id,
                           coalesce(mv ->> 'audienceSubCategory', '') AS audience,
                           coalesce(mv ->> 'mainCategory', '') AS category,
                           upper(coalesce(mv ->> 'movementType', '')) AS movement_type,
                           CASE WHEN mv IS NULL THEN coalesce(analytics_number(op -> 'quantity'), 1) ELSE 1 END AS quantity,
                           CASE WHEN mv IS NULL THEN coalesce(analytics_number(op -> 'quantity'), 1) * coalesce(analytics_number(op -> 'unitPrice'), 0)
                                ELSE coalesce(analytics_number(mv -> 'amount'), 0) END AS amount
                    FROM facts f
                    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(f.o -> 'operationDatas') = 'array' THEN f.o -> 'operationDatas' ELSE '[]' END) op
                    LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(op -> 'movementDatas') = 'array' THEN op -> 'movementDatas' ELSE '[]' END) mv ON true
                   ) raw_lines
             ) signed_lines
    ),
    totals AS (SELECT document_id, sum(tickets) AS tickets, sum(gross) AS gross, sum(refunded) AS refunded FROM lines GROUP BY document_id),
    per_version AS (
        SELECT f.institution, 'all' AS dimension, f.day, '' AS label, f.kind, f.sign AS orders,
               f.sign * coalesce(t.tickets, 0) AS tickets, f.sign * coalesce(t.gross, 0) AS gross, f.sign * coalesce(t.refunded, 0) AS refunded
        FROM facts f LEFT JOIN totals t ON t.document_id = f.document_id
        UNION ALL
        SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END, l.kind,
               min(l.sign), min(l.sign) * sum(l.tickets), min(l.sign) * sum(l.gross), min(l.sign) * sum(l.refunded)
        FROM lines l CROSS JOIN (VALUES ('product'), ('event')) AS d (dimension)
        GROUP BY l.document_id, 1, 2, 3, 4, 5
    ),
    links AS (
        INSERT INTO analytics_new_links
        SELECT DISTINCT ON (institution, movement_id) institution, movement_id, order_id, product, audience, category
        FROM lines WHERE sign > 0 AND movement_id IS NOT NULL
        ORDER BY institution, movement_id, document_id DESC
    )
    INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
    SELECT institution, dimension, day, label, kind, sum(orders), sum(tickets), sum(gross), sum(refunded)
    FROM per_version GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (institution, dimension, day, label, kind) DO UPDATE SET
        orders = sales_daily.orders + excluded.orders, tickets = sales_daily.tickets + excluded.tickets,
        gross = sales_daily.gross + excluded.gross, refunded = sales_daily.refunded + excluded.refunded;

    SELECT array_agg(institution), array_agg(movement_id) INTO v_movement_institutions, v_movements FROM (
        SELECT om.institution, om.movement_id
        FROM unnest(p_institutions, p_orders) AS b(institution, order_id)
        JOIN order_movements om ON om.institution = b.institution AND om.order_id = b.order_id
        UNION
        SELECT institution, movement_id FROM analytics_new_links
    ) relinked;
    -- Most orders arrive before anyone is checked in with them: then no
    -- check has to move.
    v_checked := EXISTS (
        SELECT 1 FROM unnest(v_movement_institutions, v_movements) AS w(institution, movement_id)
        JOIN ticket_checks c ON c.institution = w.institution AND c.movement_id = w.movement_id);
    IF v_checked THEN
        PERFORM analytics_shift_movements(v_movement_institutions, v_movements, false);
    END IF;
    DELETE FROM order_movements om USING unnest(v_movement_institutions, v_movements) AS w(institution, movement_id)
    WHERE om.institution = w.institution AND om.movement_id = w.movement_id;
    INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
    SELECT * FROM analytics_new_links;
    IF v_checked THEN
        PERFORM analytics_shift_movements(v_movement_institutions, v_movements, true);
    END IF;

    INSERT INTO analytics_applied_orders (institution, order_id, document_id)
    SELECT * FROM unnest(p_institutions, p_orders, p_new)
    ON CONFLICT (institution, order_id) DO UPDATE SET document_id = excluded.document_id;
END $$;
-- +goose StatementEnd

-- Applies the queue: every queued check and contact first, then the
-- orders of at most p_order_limit queued order versions. The caller runs
-- it in a REPEATABLE READ transaction, so that the checks it reads when
-- it moves an order's checks between matched and unmatched rows are the
-- very checks it has just counted: a check committed in the meantime is
-- neither (it stays queued for the next call).
-- +goose StatementBegin
CREATE FUNCTION analytics_project(p_order_limit integer,
    OUT checks bigint, OUT contacts bigint, OUT orders bigint, OUT pending bigint, OUT oldest timestamptz, OUT partial boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_institutions text[];
    v_orders       text[];
    v_old          bigint[];
    v_new          bigint[];
    v_consumed     bigint;
BEGIN
    WITH queued AS (DELETE FROM analytics_pending WHERE kind = 'checks' RETURNING institution, ids),
    facts AS MATERIALIZED (
        SELECT f.* FROM (SELECT institution, unnest(ids) AS ticket_check_id FROM queued) q
        JOIN ticket_check_facts f USING (institution, ticket_check_id)
    ),
    hourly AS (
        INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
        SELECT institution, hour, check_flow, ok, count(*) FROM facts
        GROUP BY institution, hour, check_flow, ok
        ON CONFLICT (institution, hour, check_flow, ok) DO UPDATE SET checks = attendance_hourly.checks + excluded.checks
    ),
    gates AS (
        INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
        SELECT institution, day, gate, check_flow, result, failure_reason, count(*) FROM facts
        GROUP BY institution, day, gate, check_flow, result, failure_reason
        ON CONFLICT (institution, day, gate, check_flow, result, failure_reason) DO UPDATE SET checks = gate_daily.checks + excluded.checks
    ),
    movements AS (
        INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
        SELECT f.institution, d.dimension, f.day,
               coalesce(CASE d.dimension WHEN 'product' THEN om.product WHEN 'audience' THEN om.audience ELSE om.category END, ''),
               f.check_flow, f.ok, om.movement_id IS NOT NULL, count(*)
        FROM facts f
        CROSS JOIN analytics_dimensions d
        LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched)
        DO UPDATE SET checks = attendance_movement_daily.checks + excluded.checks
    )
    SELECT count(*) INTO checks FROM facts;

    WITH queued AS (DELETE FROM analytics_pending WHERE kind = 'contacts' RETURNING ids),
    changes AS MATERIALIZED (
        SELECT c.* FROM (SELECT unnest(ids) AS id FROM queued) q JOIN contact_changes c ON c.document_id = q.id
    ),
    counted AS (
        INSERT INTO contacts_daily (institution, day, party, change, contacts)
        SELECT institution, day, party, change, count(*) FROM changes
        GROUP BY institution, day, party, change
        ON CONFLICT (institution, day, party, change) DO UPDATE SET contacts = contacts_daily.contacts + excluded.contacts
    )
    SELECT count(*) INTO contacts FROM changes;

    -- The orders of the first queued versions whose head is not the
    -- version the rollups hold, applied set-wise: one statement for a
    -- batch, not one function call per order.
    -- Each lookup is a LATERAL subquery fenced with OFFSET 0, so that it
    -- stays an index lookup per queued version whatever the statistics
    -- say: joined freely, the planner drove the batch from a scan of every
    -- order head when it believed there were three.
    WITH queued AS (
        DELETE FROM analytics_pending WHERE seq IN (
            SELECT seq FROM analytics_pending WHERE kind = 'orders' ORDER BY seq LIMIT p_order_limit)
        RETURNING ids
    ),
    touched AS MATERIALIZED (
        SELECT DISTINCT d.institution, d.external_id
        FROM queued q CROSS JOIN unnest(q.ids) AS v(id)
        CROSS JOIN LATERAL (SELECT institution, external_id FROM documents WHERE id = v.id OFFSET 0) d
    )
    SELECT array_agg(institution), array_agg(order_id), array_agg(old_doc), array_agg(new_doc), (SELECT count(*) FROM queued)
    INTO v_institutions, v_orders, v_old, v_new, v_consumed
    FROM (SELECT t.institution, t.external_id AS order_id, a.document_id AS old_doc, h.document_id AS new_doc
          FROM touched t
          CROSS JOIN LATERAL (SELECT document_id FROM document_heads
                              WHERE institution = t.institution AND stream = 'orders' AND external_id = t.external_id OFFSET 0) h
          LEFT JOIN LATERAL (SELECT document_id FROM analytics_applied_orders
                             WHERE institution = t.institution AND order_id = t.external_id OFFSET 0) a ON true
          WHERE a.document_id IS DISTINCT FROM h.document_id) changed;
    orders := coalesce(array_length(v_orders, 1), 0);
    IF orders > 0 THEN
        PERFORM analytics_apply_orders(v_institutions, v_orders, v_old, v_new);
    END IF;

    partial := v_consumed >= p_order_limit;
    SELECT count(*), min(queued_at) INTO pending, oldest FROM analytics_pending;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Back to the triggers of 003. What was queued and not applied is lost to
-- the rollups: run `usher report rebuild` after migrating down.
DROP FUNCTION analytics_project(integer);
DROP FUNCTION analytics_apply_orders(text[], text[], bigint[], bigint[]);
DROP FUNCTION analytics_shift_movements(text[], bigint[], boolean);
DROP TABLE analytics_applied_orders;
DROP TABLE analytics_pending;
CREATE TRIGGER ticket_checks_analytics AFTER INSERT ON ticket_checks
REFERENCING NEW TABLE AS new_checks
FOR EACH STATEMENT EXECUTE FUNCTION analytics_checks_inserted();
CREATE TRIGGER contacts_analytics AFTER INSERT ON documents
REFERENCING NEW TABLE AS new_documents
FOR EACH STATEMENT EXECUTE FUNCTION analytics_contacts_inserted();
CREATE TRIGGER document_heads_analytics AFTER INSERT OR UPDATE OF document_id ON document_heads
FOR EACH ROW WHEN (NEW.stream = 'orders') EXECUTE FUNCTION analytics_order_head_changed();
