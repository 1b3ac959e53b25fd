package site

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// MemberView is a member as the website shows it, read fresh from Centaman.
type MemberView struct {
	MemberCode   int64  `json:"member_code"`
	MemberNumber int64  `json:"member_number"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Email        string `json:"email"`
	// Status is current (a membership gives member rights today), lapsed
	// (memberships, none current) or none.
	Status      string           `json:"status"`
	Memberships []MembershipView `json:"memberships"`
	// IsPrimary is false for a secondary member of a family membership,
	// whose rights (Status, Memberships) are its primary member's.
	IsPrimary         bool      `json:"is_primary"`
	PrimaryMemberCode int64     `json:"primary_member_code,omitempty"`
	CheckedAt         time.Time `json:"checked_at"`
}

// MembershipView is one membership of a member.
type MembershipView struct {
	TypeCode   int64  `json:"type_code"`
	TypeName   string `json:"type_name"`
	JoinDate   string `json:"join_date"`
	ExpiryDate string `json:"expiry_date"`
	Current    bool   `json:"current"`
	Cancelled  bool   `json:"cancelled"`
}

func viewOf(m centaman.Member, now time.Time) MemberView {
	v := MemberView{MemberCode: m.MemberCode, MemberNumber: m.MemberNumber, FirstName: m.FirstName, LastName: m.LastName,
		Email: m.Email, Status: "none", Memberships: []MembershipView{}, CheckedAt: now, IsPrimary: m.IsPrimary || m.PrimaryMemberID == 0}
	if !v.IsPrimary {
		v.PrimaryMemberCode = m.PrimaryMemberID
	}
	for _, ms := range m.Memberships {
		cur := ms.CurrentAt(now)
		v.Memberships = append(v.Memberships, MembershipView{TypeCode: ms.TypeCode, TypeName: ms.TypeName,
			JoinDate: day(ms.JoinDate), ExpiryDate: day(ms.ExpiryDate), Current: cur, Cancelled: ms.Cancelled})
		if cur {
			v.Status = "current"
		} else if v.Status == "none" {
			v.Status = "lapsed"
		}
	}
	return v
}

func day(s string) string {
	if t, ok := centaman.ParseDate(s); ok {
		return t.Format("2006-01-02")
	}
	return s
}

func checkEmail(email string) error {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return usher.Errorf(usher.EINVALID, "email must be a plain e-mail address, such as ann@example.org")
	}
	return nil
}

// LinkRequest links a website identity to the member with an e-mail
// address. The website vouches that the identity owns the address.
type LinkRequest struct {
	Identity string `json:"identity"`
	Email    string `json:"email"`
}

// LinkMember finds the member with req.Email in Centaman and links the
// identity to it.
func (s *Service) LinkMember(ctx context.Context, institution string, req LinkRequest) (MemberView, error) {
	v, err := s.venue(institution)
	if err != nil {
		return MemberView{}, err
	}
	if err := checkIdentity(req.Identity); err != nil {
		return MemberView{}, err
	}
	if err := checkEmail(req.Email); err != nil {
		return MemberView{}, err
	}
	found, err := v.Client.MembersByEmail(ctx, req.Email)
	if err = s.upstreamErr(ctx, v, err, "linking a member"); err != nil {
		return MemberView{}, err
	}
	primary := primaries(found)
	switch len(primary) {
	case 0:
		return MemberView{}, usher.Errorf(usher.ENOTFOUND, "no member of %s has this e-mail address: join instead", v.Name)
	case 1:
	default:
		return MemberView{}, usher.Errorf(usher.ECONFLICT, "%d members share this e-mail address: the venue must tell them apart first", len(primary))
	}
	if err := s.copyMembers(ctx, v, found); err != nil {
		return MemberView{}, err
	}
	m := primary[0]
	if err := s.store.LinkMember(ctx, usher.MemberLink{Institution: v.Code, Identity: req.Identity,
		MemberCode: m.MemberCode, Email: req.Email, LinkedAt: s.now()}); err != nil {
		return MemberView{}, err
	}
	return viewOf(m, s.now()), nil
}

func primaries(ms []centaman.Member) []centaman.Member {
	var out []centaman.Member
	for _, m := range ms {
		if m.IsPrimary {
			out = append(out, m)
		}
	}
	return out
}

func checkIdentity(id string) error {
	if id == "" || len(id) > 128 {
		return usher.Errorf(usher.EINVALID, "identity must be the website's id for its user, 1 to 128 characters")
	}
	return nil
}

// Session is a new member session; Token is shown once.
type Session struct {
	Token     string     `json:"token"`
	ExpiresAt time.Time  `json:"expires_at"`
	Member    MemberView `json:"member"`
}

// StartSession signs a linked identity in, after reading its membership
// fresh from Centaman: no session starts on a status usher cannot confirm.
func (s *Service) StartSession(ctx context.Context, institution, identity string) (Session, error) {
	v, err := s.venue(institution)
	if err != nil {
		return Session{}, err
	}
	if err := checkIdentity(identity); err != nil {
		return Session{}, err
	}
	link, err := s.store.FindMemberLink(ctx, institution, identity)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		return Session{}, usher.Errorf(usher.ENOTFOUND, "identity %q is not linked to a member: link it first", identity)
	}
	if err != nil {
		return Session{}, err
	}
	m, _, err := s.memberWithRights(ctx, v, link.MemberCode, "signing in")
	if err != nil {
		return Session{}, err
	}
	return s.newSession(ctx, institution, identity, m)
}

func (s *Service) newSession(ctx context.Context, institution, identity string, m centaman.Member) (Session, error) {
	token, hash := newToken()
	sess := usher.MemberSession{TokenHash: hash, Institution: institution, Identity: identity, MemberCode: m.MemberCode,
		CreatedAt: s.now(), ExpiresAt: s.now().Add(s.opts.MemberSessionTTL)}
	if err := s.store.CreateMemberSession(ctx, sess); err != nil {
		return Session{}, err
	}
	return Session{Token: token, ExpiresAt: sess.ExpiresAt, Member: viewOf(m, s.now())}, nil
}

func (s *Service) freshMember(ctx context.Context, v *venue, code int64, action string) (centaman.Member, error) {
	members, err := s.refreshMember(ctx, v, code, action)
	if err != nil {
		return centaman.Member{}, err
	}
	for _, m := range members {
		if m.MemberCode == code {
			return m, nil
		}
	}
	return centaman.Member{}, usher.Errorf(usher.ENOTFOUND, "member %d is no longer in Centaman", code)
}

func newToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is how a session token is looked up: by its SHA-256, so the
// database never holds a usable token and the lookup compares digests.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// session returns the live session of a token, or EUNAUTHORIZED.
func (s *Service) session(ctx context.Context, institution, token string) (usher.MemberSession, error) {
	if token == "" {
		return usher.MemberSession{}, usher.Errorf(usher.EUNAUTHORIZED, "no member session: sign in with POST …/members/sessions")
	}
	sess, err := s.store.FindMemberSession(ctx, hashToken(token), s.now())
	if usher.ErrorCode(err) == usher.ENOTFOUND || err == nil && sess.Institution != institution {
		return usher.MemberSession{}, usher.Errorf(usher.EUNAUTHORIZED, "the member session has ended or expired: sign in again")
	}
	return sess, err
}

// Me reads the signed-in member's status fresh from Centaman. If Centaman
// cannot be reached the session ends: the member is signed out rather than
// shown a status that may be out of date.
func (s *Service) Me(ctx context.Context, institution, token string) (MemberView, error) {
	v, err := s.venue(institution)
	if err != nil {
		return MemberView{}, err
	}
	sess, err := s.session(ctx, institution, token)
	if err != nil {
		return MemberView{}, err
	}
	m, _, err := s.memberOrSignOut(ctx, v, sess)
	if err != nil {
		return MemberView{}, err
	}
	return viewOf(m, s.now()), nil
}

// memberOrSignOut reads the session's member fresh. When Centaman is
// confirmed unreachable (Diagnostics fails too) the session has ended; a
// single failed call only answers 503, the member stays signed in.
func (s *Service) memberOrSignOut(ctx context.Context, v *venue, sess usher.MemberSession) (centaman.Member, bool, error) {
	m, current, err := s.memberWithRights(ctx, v, sess.MemberCode, "checking your membership")
	if usher.ErrorCode(err) != usher.EUNAVAILABLE || !v.unreachable() {
		return m, current, err
	}
	if endErr := s.store.EndMemberSession(ctx, sess.TokenHash); endErr != nil {
		return m, false, endErr
	}
	return m, false, &usher.Error{Code: usher.EUNAVAILABLE, Err: err, Detail: map[string]bool{"session_ended": true},
		Message: v.Name + "'s membership system (Centaman) cannot be reached, so your membership cannot be confirmed: you have been signed out. Sign in again once it is back"}
}

// memberWithRights reads a member fresh and says whether it has member
// rights now. A secondary member's rights are its family's: its primary
// member's memberships (ASSUMPTION centaman-secondary-rights: Centaman
// documents that GET member_services/Member/{code} returns a primary with
// its secondaries, not where a family membership is kept). The answer's
// Memberships are the family's, so the view shows what gives the rights.
func (s *Service) memberWithRights(ctx context.Context, v *venue, code int64, action string) (centaman.Member, bool, error) {
	m, err := s.freshMember(ctx, v, code, action)
	if err != nil {
		return m, false, err
	}
	if !m.IsPrimary && m.PrimaryMemberID != 0 && currentMembership(m, s.now()) == nil {
		p, err := s.freshMember(ctx, v, m.PrimaryMemberID, action)
		if err != nil && usher.ErrorCode(err) != usher.ENOTFOUND {
			return m, false, err
		}
		if err == nil {
			m.Memberships = p.Memberships
		}
	}
	return m, currentMembership(m, s.now()) != nil, nil
}

// CredentialsRequest signs a member in with Centaman's member
// authentication: member number and surname, or e-mail and password.
type CredentialsRequest struct {
	MemberNumber int64  `json:"member_number,omitempty"`
	Surname      string `json:"surname,omitempty"`
	Email        string `json:"email,omitempty"`
	Password     string `json:"password,omitempty"`
}

func (r CredentialsRequest) check() error {
	byNumber := r.MemberNumber > 0 && r.Surname != ""
	byEmail := r.Email != "" && r.Password != ""
	if byNumber == byEmail {
		return usher.Errorf(usher.EINVALID, "sign in with member_number and surname, or with email and password (one pair)")
	}
	if len(r.Surname) > 60 || len(r.Email) > 254 || len(r.Password) > 200 {
		return usher.Errorf(usher.EINVALID, "surname, email or password is too long")
	}
	return nil
}

// SignIn starts a member session from Centaman's own authentication
// (POST member_services/Authentication), for primary and secondary members
// alike; no website identity or link is needed. The member's rights are
// then read fresh, as for any session.
func (s *Service) SignIn(ctx context.Context, institution string, req CredentialsRequest) (Session, error) {
	v, err := s.venue(institution)
	if err != nil {
		return Session{}, err
	}
	if err := req.check(); err != nil {
		return Session{}, err
	}
	found, err := v.Client.Authenticate(ctx, centaman.Credentials{MemberNumber: req.MemberNumber, Surname: req.Surname,
		Email: req.Email, Password: req.Password})
	if err = s.upstreamErr(ctx, v, err, "signing in"); err != nil {
		return Session{}, err
	}
	m, ok := authenticated(found, req)
	if !ok {
		return Session{}, usher.Errorf(usher.EUNAUTHORIZED, "these details do not match a member: check the member number and surname, or the e-mail and password")
	}
	m, _, err = s.memberWithRights(ctx, v, m.MemberCode, "signing in")
	if err != nil {
		return Session{}, err
	}
	return s.newSession(ctx, institution, "centaman-member:"+strconv.FormatInt(m.MemberCode, 10), m)
}

// authenticated picks the member the credentials named from
// Authentication's answer (a list): the one with the member number, or
// the e-mail address.
func authenticated(found []centaman.Member, req CredentialsRequest) (centaman.Member, bool) {
	for _, m := range found {
		if req.MemberNumber > 0 && m.MemberNumber == req.MemberNumber ||
			req.MemberNumber == 0 && strings.EqualFold(strings.TrimSpace(m.Email), strings.TrimSpace(req.Email)) {
			return m, true
		}
	}
	if len(found) == 1 && found[0].MemberCode != 0 {
		return found[0], true
	}
	return centaman.Member{}, false
}

// EndSession signs a member out.
func (s *Service) EndSession(ctx context.Context, institution, token string) error {
	sess, err := s.session(ctx, institution, token)
	if err != nil {
		return err
	}
	return s.store.EndMemberSession(ctx, sess.TokenHash)
}

// MembershipTypes lists the memberships sold online, from the local copy.
func (s *Service) MembershipTypes(ctx context.Context, institution string) ([]MembershipTypeView, Freshness, error) {
	v, err := s.venue(institution)
	if err != nil {
		return nil, Freshness{}, err
	}
	types, err := s.membershipTypes(ctx, institution)
	if err != nil {
		return nil, Freshness{}, err
	}
	fresh, err := s.copyFreshness(ctx, v, usher.StreamCentamanMembershipType)
	out := make([]MembershipTypeView, 0, len(types))
	for _, t := range types {
		out = append(out, MembershipTypeView{TypeCode: t.MembershipCode, Name: t.MembershipDescription, Price: t.Price()})
	}
	return out, fresh, err
}

// MembershipTypeView is a membership type as the website shows it.
type MembershipTypeView struct {
	TypeCode int64           `json:"type_code"`
	Name     string          `json:"name"`
	Price    centaman.Amount `json:"price"`
}

func (s *Service) membershipTypes(ctx context.Context, institution string) ([]centaman.MembershipType, error) {
	docs, err := s.store.FindDocuments(ctx, usher.DocumentFilter{Institution: institution, Stream: usher.StreamCentamanMembershipType, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]centaman.MembershipType, 0, len(docs))
	for _, d := range docs {
		var t centaman.MembershipType
		if err := json.Unmarshal(d.Raw, &t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SortSequenceNumber < out[j].SortSequenceNumber })
	return out, nil
}

func (s *Service) membershipType(ctx context.Context, institution string, code int64) (centaman.MembershipType, error) {
	types, err := s.membershipTypes(ctx, institution)
	if err != nil {
		return centaman.MembershipType{}, err
	}
	for _, t := range types {
		if t.MembershipCode == code {
			return t, nil
		}
	}
	return centaman.MembershipType{}, usher.Errorf(usher.EINVALID, "type_code %d is not a membership sold online: see GET …/membership-types", code)
}
