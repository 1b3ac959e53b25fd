package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/usher-hub/usher"
)

// The site area's member verbs; what is live is decided in
// internal/store/site.go and usher.MemberSession.

func scanMemberLink(r *sql.Rows, x *usher.MemberLink) error {
	return r.Scan(&x.Institution, &x.Identity, &x.MemberCode, &x.Email, (*textTime)(&x.LinkedAt))
}

func scanMemberSession(r *sql.Rows, x *usher.MemberSession) error {
	return r.Scan(&x.TokenHash, &x.Institution, &x.Identity, &x.MemberCode, (*textTime)(&x.CreatedAt), (*textTime)(&x.ExpiresAt))
}

func (c conn) PutMemberLink(ctx context.Context, l usher.MemberLink) error {
	_, err := exec(ctx, c.q, "PutMemberLink", l.Institution, l.Identity, l.MemberCode, l.Email, formatTime(l.LinkedAt))
	return err
}

func (c conn) MemberLinkOf(ctx context.Context, institution, identity string) ([]usher.MemberLink, error) {
	return all(ctx, c.q, "MemberLinkOf", scanMemberLink, institution, identity)
}

func (c conn) MemberCodesLinked(ctx context.Context, institution string) ([]int64, error) {
	return all(ctx, c.q, "MemberCodesLinked", func(r *sql.Rows, x *int64) error { return r.Scan(x) }, institution)
}

func (c conn) InsertMemberSession(ctx context.Context, m usher.MemberSession) error {
	_, err := exec(ctx, c.q, "InsertMemberSession", m.TokenHash, m.Institution, m.Identity, m.MemberCode,
		formatTime(m.CreatedAt), formatTime(m.ExpiresAt))
	return err
}

func (c conn) MemberSessionByToken(ctx context.Context, tokenHash string) ([]usher.MemberSession, error) {
	return all(ctx, c.q, "MemberSessionByToken", scanMemberSession, tokenHash)
}

func (c conn) MemberSessionsExpiringAfter(ctx context.Context, institution string, t time.Time) (bool, error) {
	ok, err := all(ctx, c.q, "MemberSessionsExpiringAfter", func(r *sql.Rows, x *bool) error { return r.Scan(x) }, institution, formatTime(t))
	return len(ok) == 1 && ok[0], err
}

func (c conn) DeleteMemberSession(ctx context.Context, tokenHash string) error {
	_, err := exec(ctx, c.q, "DeleteMemberSession", tokenHash)
	return err
}

func (c conn) DeleteMemberSessionsOf(ctx context.Context, institution string) (int64, error) {
	return exec(ctx, c.q, "DeleteMemberSessionsOf", institution)
}
