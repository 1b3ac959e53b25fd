package site

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// The ways a signed-in member changes their membership.
const (
	ActionBuy     = "buy"     // a new membership for a member with none current
	ActionUpgrade = "upgrade" // to a dearer type, paying the difference
	ActionSwitch  = "switch"  // to another type, paying any difference
)

// MembershipRequest buys, upgrades or switches the signed-in member's
// membership. PaymentReference makes it idempotent: a membership already
// carrying it is the answer to a retry.
type MembershipRequest struct {
	Action           string `json:"action"`
	TypeCode         int64  `json:"type_code"`
	PaymentReference string `json:"payment_reference"`
}

func (r MembershipRequest) check() error {
	switch r.Action {
	case ActionBuy, ActionUpgrade, ActionSwitch:
	default:
		return usher.Errorf(usher.EINVALID, "action must be buy, upgrade or switch")
	}
	if r.PaymentReference == "" || len(r.PaymentReference) > 200 {
		return usher.Errorf(usher.EINVALID, "payment_reference must be 1 to 200 characters")
	}
	return nil
}

// ChangeMembership acts on the signed-in member's membership in Centaman,
// then re-syncs the member.
func (s *Service) ChangeMembership(ctx context.Context, institution, token string, req MembershipRequest) (MemberView, error) {
	v, err := s.venue(institution)
	if err != nil {
		return MemberView{}, err
	}
	if err := req.check(); err != nil {
		return MemberView{}, err
	}
	sess, err := s.session(ctx, institution, token)
	if err != nil {
		return MemberView{}, err
	}
	mt, err := s.membershipType(ctx, institution, req.TypeCode)
	if err != nil {
		return MemberView{}, err
	}
	m, _, err := s.memberOrSignOut(ctx, v, sess)
	if err != nil {
		return MemberView{}, err
	}
	if paidWith(m, req.PaymentReference) {
		return viewOf(m, s.now()), nil
	}
	current := currentMembership(m, s.now())
	if req.Action == ActionBuy {
		err = s.buy(ctx, v, m, current, mt, req.PaymentReference)
	} else {
		err = s.change(ctx, v, current, mt, req)
	}
	if err != nil {
		return MemberView{}, err
	}
	m, err = s.freshMember(ctx, v, m.MemberCode, "re-syncing your membership")
	if err != nil {
		return MemberView{}, err
	}
	return viewOf(m, s.now()), nil
}

func paidWith(m centaman.Member, ref string) bool {
	for _, ms := range m.Memberships {
		if ms.PaymentGatewayReference == ref {
			return true
		}
	}
	return false
}

func currentMembership(m centaman.Member, now time.Time) *centaman.Membership {
	for i := range m.Memberships {
		if m.Memberships[i].CurrentAt(now) {
			return &m.Memberships[i]
		}
	}
	return nil
}

func (s *Service) buy(ctx context.Context, v *venue, m centaman.Member, current *centaman.Membership, mt centaman.MembershipType, ref string) error {
	if current != nil {
		return usher.Errorf(usher.ECONFLICT, "you already have a current %s membership: upgrade or switch it instead", current.TypeName)
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	price := mt.Price().Cents()
	ms := centaman.Membership{MemberCode: m.MemberCode, TypeCode: mt.MembershipCode, Cost: price.Amount(), Paid: price.Amount(),
		Tax: taxOf(price, mt).Amount(), JoinDate: today.Format("2006-01-02"), ExpiryDate: today.AddDate(1, 0, 0).Format("2006-01-02"),
		PaymentGatewayReference: ref}
	_, err := v.Client.CreateMemberships(ctx, len(m.Memberships) == 0, []centaman.Membership{ms})
	return s.upstreamErr(ctx, v, err, "buying a membership")
}

// change moves a current membership to another type for the rest of its
// term. The new one is recorded before the old one is cancelled, so a
// failure in between leaves the member with two memberships, never none.
func (s *Service) change(ctx context.Context, v *venue, current *centaman.Membership, mt centaman.MembershipType, req MembershipRequest) error {
	if current == nil {
		return usher.Errorf(usher.ECONFLICT, "you have no current membership to %s: buy one instead", req.Action)
	}
	if current.TypeCode == mt.MembershipCode {
		return usher.Errorf(usher.ECONFLICT, "your membership is already %s", mt.MembershipDescription)
	}
	now, was := mt.Price().Cents(), current.Cost.Cents()
	if req.Action == ActionUpgrade && now <= was {
		return usher.Errorf(usher.ECONFLICT, "%s does not cost more than %s: switch instead of upgrading", mt.MembershipDescription, current.TypeName)
	}
	due := max(now-was, 0)
	ms := centaman.Membership{MemberCode: current.MemberCode, TypeCode: mt.MembershipCode, Cost: now.Amount(), Paid: due.Amount(),
		Tax: taxOf(due, mt).Amount(), JoinDate: current.JoinDate, ExpiryDate: current.ExpiryDate, PaymentGatewayReference: req.PaymentReference}
	_, err := v.Client.CreateMemberships(ctx, false, []centaman.Membership{ms})
	if err = s.upstreamErr(ctx, v, err, "changing your membership"); err != nil {
		return err
	}
	old := *current
	old.Cancelled = true
	if err := v.Client.UpdateMembership(ctx, current.Linkfield, old); err != nil {
		err = s.upstreamErr(ctx, v, err, "cancelling your previous membership")
		s.logger.ErrorContext(ctx, "new membership recorded but the old one not cancelled: the venue must cancel it",
			"institution", v.Code, "member", current.MemberCode, "linkfield", current.Linkfield, "err", err)
		return err
	}
	return nil
}

// taxOf is the tax inside an amount of cents for a type priced with tax.
func taxOf(amount centaman.Cents, mt centaman.MembershipType) centaman.Cents {
	if !mt.IsPriceTaxInclusive {
		return 0
	}
	return amount.TaxIn(mt.TaxPercentage)
}

// JoinRequest makes a visitor a member: a new Centaman member with a
// first membership, linked to the website identity.
type JoinRequest struct {
	Identity         string `json:"identity"`
	FirstName        string `json:"first_name"`
	LastName         string `json:"last_name"`
	Email            string `json:"email"`
	TypeCode         int64  `json:"type_code"`
	PaymentReference string `json:"payment_reference"`
}

// Join sells a first membership to a visitor who is not a member yet.
// A retry after a lost answer finds the member and its membership by the
// payment reference, and links it instead of creating another.
func (s *Service) Join(ctx context.Context, institution string, req JoinRequest) (MemberView, error) {
	v, err := s.venue(institution)
	if err != nil {
		return MemberView{}, err
	}
	if err := checkJoin(req); err != nil {
		return MemberView{}, err
	}
	mt, err := s.membershipType(ctx, institution, req.TypeCode)
	if err != nil {
		return MemberView{}, err
	}
	found, err := v.Client.MembersByEmail(ctx, req.Email)
	if err = s.upstreamErr(ctx, v, err, "joining"); err != nil {
		return MemberView{}, err
	}
	m, err := s.joinMember(ctx, v, primaries(found), req, mt)
	if err != nil {
		return MemberView{}, err
	}
	if err := s.store.LinkMember(ctx, usher.MemberLink{Institution: v.Code, Identity: req.Identity,
		MemberCode: m.MemberCode, Email: req.Email, LinkedAt: s.now()}); err != nil {
		return MemberView{}, err
	}
	m, err = s.freshMember(ctx, v, m.MemberCode, "re-syncing the new member")
	if err != nil {
		return MemberView{}, err
	}
	return viewOf(m, s.now()), nil
}

func checkJoin(req JoinRequest) error {
	if err := checkIdentity(req.Identity); err != nil {
		return err
	}
	if strings.TrimSpace(req.LastName) == "" || len(req.FirstName) > centaman.MaxNameLength || len(req.LastName) > centaman.MaxNameLength {
		return usher.Errorf(usher.EINVALID, "last_name is required; names may have at most %d characters", centaman.MaxNameLength)
	}
	if req.PaymentReference == "" || len(req.PaymentReference) > 200 {
		return usher.Errorf(usher.EINVALID, "payment_reference must be 1 to 200 characters")
	}
	return checkEmail(req.Email)
}

func (s *Service) joinMember(ctx context.Context, v *venue, existing []centaman.Member, req JoinRequest, mt centaman.MembershipType) (centaman.Member, error) {
	for _, m := range existing {
		if paidWith(m, req.PaymentReference) {
			return m, nil
		}
	}
	if len(existing) > 0 {
		return centaman.Member{}, usher.Errorf(usher.ECONFLICT, "a member of %s already has this e-mail address: link it instead of joining", v.Name)
	}
	created, err := v.Client.CreateMembers(ctx, []centaman.Member{{FirstName: req.FirstName, LastName: req.LastName, Email: req.Email, IsPrimary: true}})
	if err = s.upstreamErr(ctx, v, err, "joining"); err != nil {
		return centaman.Member{}, err
	}
	if len(created) == 0 || created[0].MemberCode == 0 {
		return centaman.Member{}, fmt.Errorf("centaman created no member")
	}
	m := created[0]
	return m, s.buy(ctx, v, m, nil, mt, req.PaymentReference)
}
