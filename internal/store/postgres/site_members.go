package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// LinkMember creates or replaces an identity's link; see usher.SiteStore.
func (s *Store) LinkMember(ctx context.Context, l usher.MemberLink) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO site_member_links (institution, identity, member_code, email, linked_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (institution, identity) DO UPDATE SET
			member_code = excluded.member_code, email = excluded.email, linked_at = excluded.linked_at`,
		l.Institution, l.Identity, l.MemberCode, l.Email, l.LinkedAt)
	if err != nil {
		return unavailable("link member", err)
	}
	return nil
}

// FindMemberLink returns an identity's link; see usher.SiteStore.
func (s *Store) FindMemberLink(ctx context.Context, institution, identity string) (usher.MemberLink, error) {
	l := usher.MemberLink{Institution: institution, Identity: identity}
	err := s.pool.QueryRow(ctx, `SELECT member_code, email, linked_at FROM site_member_links
		WHERE institution = $1 AND identity = $2`, institution, identity).Scan(&l.MemberCode, &l.Email, &l.LinkedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, usher.ErrNotFound
	}
	if err != nil {
		return l, unavailable("find member link", err)
	}
	return l, nil
}

// LinkedMemberCodes lists linked members; see usher.SiteStore.
func (s *Store) LinkedMemberCodes(ctx context.Context, institution string) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT member_code FROM site_member_links
		WHERE institution = $1 ORDER BY member_code`, institution)
	if err != nil {
		return nil, unavailable("linked members", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, unavailable("linked members", err)
	}
	return codes, nil
}

// CreateMemberSession stores a session; see usher.SiteStore.
func (s *Store) CreateMemberSession(ctx context.Context, m usher.MemberSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO site_member_sessions
		(token_hash, institution, identity, member_code, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		m.TokenHash, m.Institution, m.Identity, m.MemberCode, m.CreatedAt, m.ExpiresAt)
	if err != nil {
		return unavailable("create member session", err)
	}
	return nil
}

// FindMemberSession returns an unexpired session; see usher.SiteStore.
func (s *Store) FindMemberSession(ctx context.Context, tokenHash string, now time.Time) (usher.MemberSession, error) {
	m := usher.MemberSession{TokenHash: tokenHash}
	err := s.pool.QueryRow(ctx, `SELECT institution, identity, member_code, created_at, expires_at
		FROM site_member_sessions WHERE token_hash = $1 AND expires_at > $2`, tokenHash, now).
		Scan(&m.Institution, &m.Identity, &m.MemberCode, &m.CreatedAt, &m.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, usher.ErrNotFound
	}
	if err != nil {
		return m, unavailable("find member session", err)
	}
	return m, nil
}

// EndMemberSession deletes one session; see usher.SiteStore.
func (s *Store) EndMemberSession(ctx context.Context, tokenHash string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM site_member_sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return unavailable("end member session", err)
	}
	return nil
}

// EndMemberSessions deletes an institution's sessions; see usher.SiteStore.
func (s *Store) EndMemberSessions(ctx context.Context, institution string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM site_member_sessions WHERE institution = $1`, institution)
	if err != nil {
		return 0, unavailable("end member sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// MemberSessionsExist reports whether an institution has an unexpired
// member session; see usher.SiteStore.
func (s *Store) MemberSessionsExist(ctx context.Context, institution string, now time.Time) (bool, error) {
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM site_member_sessions
		WHERE institution = $1 AND expires_at > $2)`, institution, now).Scan(&exists)
	if err != nil {
		return false, unavailable("member sessions exist", err)
	}
	return exists, nil
}
