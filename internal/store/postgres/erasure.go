package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The erasure area's verbs (driver.ErasureVerbs); SQL in
// queries/erasure.sql, whose reads lock their rows FOR UPDATE.

func (c conn) ErasableBodies(ctx context.Context, place driver.ErasurePlace, institution, contactNumber string) ([]driver.ErasableBody, error) {
	return all(ctx, c.q, "Erasable"+string(place), func(r pgx.Row, x *driver.ErasableBody) error { return r.Scan(&x.ID, &x.Stream, &x.Body) },
		institution, contactNumber)
}

func (c conn) RewriteErasableBody(ctx context.Context, place driver.ErasurePlace, id int64, body []byte) error {
	_, err := exec(ctx, c.q, "Rewrite"+string(place), id, body)
	return err
}

func (c conn) ErasableContactJobs(ctx context.Context, institution, kind, contactNumber string) ([]driver.ErasableJob, error) {
	return all(ctx, c.q, "ErasableContactJobs", func(r pgx.Row, x *driver.ErasableJob) error { return r.Scan(&x.ID, &x.State, &x.Payload) },
		institution, kind, contactNumber)
}

func (c conn) RewriteJobPayload(ctx context.Context, id int64, payload []byte) error {
	_, err := exec(ctx, c.q, "RewriteJobPayload", id, payload)
	return err
}

func (c conn) InsertErasure(ctx context.Context, e usher.Erasure, rewritten []byte) error {
	_, err := exec(ctx, c.q, "InsertErasure", e.Institution, e.ContactNumber, e.Actor, e.Reason, e.ErasedAt, rewritten)
	return err
}

func (c conn) ListErasures(ctx context.Context, institution string) ([]driver.ErasureRow, error) {
	return all(ctx, c.q, "ListErasures", func(r pgx.Row, x *driver.ErasureRow) error {
		e := &x.Erasure
		return r.Scan(&e.Institution, &e.ContactNumber, &e.Actor, &e.Reason, &e.ErasedAt, &x.Rewritten)
	}, institution)
}
