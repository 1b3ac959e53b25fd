package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// The site area's member verbs; what is live is decided in
// internal/store/site.go and usher.MemberSession.

func scanMemberLink(r pgx.Row, x *usher.MemberLink) error {
	return r.Scan(&x.Institution, &x.Identity, &x.MemberCode, &x.Email, &x.LinkedAt)
}

func scanMemberSession(r pgx.Row, x *usher.MemberSession) error {
	return r.Scan(&x.TokenHash, &x.Institution, &x.Identity, &x.MemberCode, &x.CreatedAt, &x.ExpiresAt)
}

func (c conn) PutMemberLink(ctx context.Context, l usher.MemberLink) error {
	_, err := exec(ctx, c.q, "PutMemberLink", l.Institution, l.Identity, l.MemberCode, l.Email, l.LinkedAt)
	return err
}

func (c conn) MemberLinkOf(ctx context.Context, institution, identity string) ([]usher.MemberLink, error) {
	return all(ctx, c.q, "MemberLinkOf", scanMemberLink, institution, identity)
}

func (c conn) MemberCodesLinked(ctx context.Context, institution string) ([]int64, error) {
	return all(ctx, c.q, "MemberCodesLinked", func(r pgx.Row, x *int64) error { return r.Scan(x) }, institution)
}

func (c conn) InsertMemberSession(ctx context.Context, m usher.MemberSession) error {
	_, err := exec(ctx, c.q, "InsertMemberSession", m.TokenHash, m.Institution, m.Identity, m.MemberCode, m.CreatedAt, m.ExpiresAt)
	return err
}

func (c conn) MemberSessionByToken(ctx context.Context, tokenHash string) ([]usher.MemberSession, error) {
	return all(ctx, c.q, "MemberSessionByToken", scanMemberSession, tokenHash)
}

func (c conn) MemberSessionsExpiringAfter(ctx context.Context, institution string, t time.Time) (bool, error) {
	ok, err := all(ctx, c.q, "MemberSessionsExpiringAfter", func(r pgx.Row, x *bool) error { return r.Scan(x) }, institution, t)
	return len(ok) == 1 && ok[0], err
}

func (c conn) DeleteMemberSession(ctx context.Context, tokenHash string) error {
	_, err := exec(ctx, c.q, "DeleteMemberSession", tokenHash)
	return err
}

func (c conn) DeleteMemberSessionsOf(ctx context.Context, institution string) (int64, error) {
	return exec(ctx, c.q, "DeleteMemberSessionsOf", institution)
}
