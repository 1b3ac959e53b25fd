package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The erasure area's verbs (driver.ErasureVerbs); SQL in
// queries/erasure.sql, whose reads lock their rows FOR UPDATE.

func scanBody(r pgx.Row, x *driver.ErasableBody) error { return r.Scan(&x.ID, &x.Stream, &x.Body) }

func (c conn) ContactVersionBodies(ctx context.Context, institution, contactNumber string) ([]driver.ErasableBody, error) {
	return all(ctx, c.q, "ContactVersionBodies", scanBody, institution, contactNumber)
}

func (c conn) OrderVersionBodiesNaming(ctx context.Context, institution, contactNumber string) ([]driver.ErasableBody, error) {
	return all(ctx, c.q, "OrderVersionBodiesNaming", scanBody, institution, contactNumber)
}

func (c conn) QuarantinedBodiesNaming(ctx context.Context, institution, contactNumber string) ([]driver.ErasableBody, error) {
	return all(ctx, c.q, "QuarantinedBodiesNaming", scanBody, institution, contactNumber)
}

func (c conn) ContactJobs(ctx context.Context, institution, kind, contactNumber string) ([]driver.ErasableJob, error) {
	return all(ctx, c.q, "ContactJobs", func(r pgx.Row, x *driver.ErasableJob) error { return r.Scan(&x.ID, &x.State, &x.Payload) },
		institution, kind, contactNumber)
}

// Documents and jobs hold JSON as jsonb, sent as text; a quarantined
// body is bytea, since it need not even be text.

func (c conn) RewriteDocumentBody(ctx context.Context, id int64, body []byte) error {
	_, err := exec(ctx, c.q, "RewriteDocumentBody", id, string(body))
	return err
}

func (c conn) RewriteQuarantinedBody(ctx context.Context, id int64, body []byte) error {
	_, err := exec(ctx, c.q, "RewriteQuarantinedBody", id, body)
	return err
}

func (c conn) RewriteJobPayload(ctx context.Context, id int64, payload []byte) error {
	_, err := exec(ctx, c.q, "RewriteJobPayload", id, string(payload))
	return err
}

func (c conn) InsertErasure(ctx context.Context, e usher.Erasure, rewritten []byte) error {
	_, err := exec(ctx, c.q, "InsertErasure", e.Institution, e.ContactNumber, e.Actor, e.Reason, e.ErasedAt, string(rewritten))
	return err
}

func (c conn) ListErasures(ctx context.Context, institution string) ([]driver.ErasureRow, error) {
	return all(ctx, c.q, "ListErasures", func(r pgx.Row, x *driver.ErasureRow) error {
		e := &x.Erasure
		return r.Scan(&e.Institution, &e.ContactNumber, &e.Actor, &e.Reason, &e.ErasedAt, &x.Rewritten)
	}, institution)
}
