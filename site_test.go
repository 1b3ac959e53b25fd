package usher

import (
	"testing"
	"time"
)

func TestCheckoutTakeable(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	ended, running := now.Add(-time.Second), now.Add(time.Minute)
	for _, tc := range []struct {
		name  string
		c     Checkout
		hash  string
		taken bool
	}{
		{"pending, lease ended, same request", Checkout{RequestHash: "a", State: CheckoutPending, LeaseUntil: ended}, "a", true},
		{"lease ends exactly now", Checkout{RequestHash: "a", State: CheckoutPending, LeaseUntil: now}, "a", false},
		{"lease still running", Checkout{RequestHash: "a", State: CheckoutPending, LeaseUntil: running}, "a", false},
		{"another request body", Checkout{RequestHash: "a", State: CheckoutPending, LeaseUntil: ended}, "b", false},
		{"unknown: only the venue settles it", Checkout{RequestHash: "a", State: CheckoutUnknown, LeaseUntil: ended}, "a", false},
		{"done is replayed", Checkout{RequestHash: "a", State: CheckoutDone, LeaseUntil: ended}, "a", false},
		{"failed is replayed", Checkout{RequestHash: "a", State: CheckoutFailed, LeaseUntil: ended}, "a", false},
	} {
		if got := tc.c.Takeable(tc.hash, now); got != tc.taken {
			t.Errorf("%s: Takeable = %v, want %v", tc.name, got, tc.taken)
		}
	}
}

func TestCheckoutLeased(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	c := Checkout{State: CheckoutPending, Attempts: 1, CreatedAt: now.Add(-time.Hour)}.Leased(now.Add(time.Minute), now)
	if c.State != CheckoutPending || c.Attempts != 2 || !c.LeaseUntil.Equal(now.Add(time.Minute)) ||
		!c.UpdatedAt.Equal(now) || !c.CreatedAt.Equal(now.Add(-time.Hour)) {
		t.Fatalf("leased = %+v, want pending attempt 2 until the new lease, created time kept", c)
	}
}

func TestMemberSessionLive(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	if !(MemberSession{ExpiresAt: now.Add(time.Second)}).Live(now) {
		t.Fatal("a session expiring later is live")
	}
	if (MemberSession{ExpiresAt: now}).Live(now) {
		t.Fatal("a session expiring now is over")
	}
}

func TestSyncRecordFollowing(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	prev := SyncRecord{LastAttemptAt: at, LastSuccessAt: at, Documents: 42}
	failed := SyncRecord{LastAttemptAt: at.Add(time.Minute), LastError: "down", Documents: 7}.Following(prev)
	if !failed.LastSuccessAt.Equal(at) || failed.Documents != 42 || failed.LastError != "down" || !failed.LastAttemptAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("failed attempt = %+v, want the last success and its 42 documents kept", failed)
	}
	ok := SyncRecord{LastAttemptAt: at.Add(2 * time.Minute), LastSuccessAt: at.Add(2 * time.Minute), Documents: 9}.Following(failed)
	if !ok.LastSuccessAt.Equal(at.Add(2*time.Minute)) || ok.Documents != 9 || ok.LastError != "" {
		t.Fatalf("success = %+v, want its own time, documents and no error", ok)
	}
}
