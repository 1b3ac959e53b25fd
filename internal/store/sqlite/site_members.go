package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/usher-hub/usher"
)

// LinkMember creates or replaces an identity's link; see usher.SiteStore.
func (s *Store) LinkMember(ctx context.Context, l usher.MemberLink) error {
	_, err := s.execWrite(ctx, "link member", `INSERT INTO site_member_links (institution, identity, member_code, email, linked_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (institution, identity) DO UPDATE SET
			member_code = excluded.member_code, email = excluded.email, linked_at = excluded.linked_at`,
		l.Institution, l.Identity, l.MemberCode, l.Email, formatTime(l.LinkedAt))
	return err
}

// FindMemberLink returns an identity's link; see usher.SiteStore.
func (s *Store) FindMemberLink(ctx context.Context, institution, identity string) (usher.MemberLink, error) {
	l := usher.MemberLink{Institution: institution, Identity: identity}
	var linked string
	err := s.read.QueryRowContext(ctx, `SELECT member_code, email, linked_at FROM site_member_links
		WHERE institution = ? AND identity = ?`, institution, identity).Scan(&l.MemberCode, &l.Email, &linked)
	if errors.Is(err, sql.ErrNoRows) {
		return l, usher.ErrNotFound
	}
	if err != nil {
		return l, unavailable("find member link", err)
	}
	l.LinkedAt = parseTime(linked)
	return l, nil
}

// LinkedMemberCodes lists linked members; see usher.SiteStore.
func (s *Store) LinkedMemberCodes(ctx context.Context, institution string) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT member_code FROM site_member_links
		WHERE institution = ? ORDER BY member_code`, institution)
	if err != nil {
		return nil, unavailable("linked members", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var code int64
		if err := rows.Scan(&code); err != nil {
			return nil, unavailable("linked members", err)
		}
		out = append(out, code)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("linked members", err)
	}
	return out, nil
}

// CreateMemberSession stores a session; see usher.SiteStore.
func (s *Store) CreateMemberSession(ctx context.Context, m usher.MemberSession) error {
	_, err := s.execWrite(ctx, "create member session", `INSERT INTO site_member_sessions
		(token_hash, institution, identity, member_code, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.TokenHash, m.Institution, m.Identity, m.MemberCode, formatTime(m.CreatedAt), formatTime(m.ExpiresAt))
	return err
}

// FindMemberSession returns an unexpired session; see usher.SiteStore.
func (s *Store) FindMemberSession(ctx context.Context, tokenHash string, now time.Time) (usher.MemberSession, error) {
	m := usher.MemberSession{TokenHash: tokenHash}
	var created, expires string
	err := s.read.QueryRowContext(ctx, `SELECT institution, identity, member_code, created_at, expires_at
		FROM site_member_sessions WHERE token_hash = ? AND expires_at > ?`, tokenHash, formatTime(now)).
		Scan(&m.Institution, &m.Identity, &m.MemberCode, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return m, usher.ErrNotFound
	}
	if err != nil {
		return m, unavailable("find member session", err)
	}
	m.CreatedAt, m.ExpiresAt = parseTime(created), parseTime(expires)
	return m, nil
}

// EndMemberSession deletes one session; see usher.SiteStore.
func (s *Store) EndMemberSession(ctx context.Context, tokenHash string) error {
	_, err := s.execWrite(ctx, "end member session", `DELETE FROM site_member_sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// EndMemberSessions deletes an institution's sessions; see usher.SiteStore.
func (s *Store) EndMemberSessions(ctx context.Context, institution string) (int, error) {
	n, err := s.execWrite(ctx, "end member sessions", `DELETE FROM site_member_sessions WHERE institution = ?`, institution)
	return int(n), err
}

// MemberSessionsExist reports whether an institution has an unexpired
// member session; see usher.SiteStore.
func (s *Store) MemberSessionsExist(ctx context.Context, institution string, now time.Time) (bool, error) {
	var exists bool
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM site_member_sessions
		WHERE institution = ? AND expires_at > ?)`, institution, formatTime(now)).Scan(&exists)
	if err != nil {
		return false, unavailable("member sessions exist", err)
	}
	return exists, nil
}
