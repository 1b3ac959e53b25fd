package crm_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/crm"
)

// The Standard Webhooks specification's published test vector: matching
// it means a CRM can verify usher's deliveries with any of the spec's
// libraries.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesTheStandardWebhooksVector(t *testing.T) {
	s, err := crm.NewSigner(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Sign(vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("signature = %s, want the spec's %s", got, vectorSignature)
	}
}

func TestVerify(t *testing.T) {
	s, _ := crm.NewSigner(vectorSecret)
	other, _ := crm.NewSigner("another-secret")
	at := time.Unix(vectorTimestamp, 0)
	headers := func(sig string) http.Header {
		h := http.Header{}
		other.SetHeaders(h, vectorID, at, []byte(vectorBody))
		h.Set(crm.HeaderSignature, sig)
		return h
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		ok   bool
	}{
		{"valid", headers(vectorSignature), vectorBody, at, true},
		{"one of several (key rotation)", headers("v1,Zm9v " + vectorSignature), vectorBody, at.Add(time.Minute), true},
		{"tampered body", headers(vectorSignature), `{"test": 1}`, at, false},
		{"replayed too late", headers(vectorSignature), vectorBody, at.Add(6 * time.Minute), false},
		{"from the future", headers(vectorSignature), vectorBody, at.Add(-6 * time.Minute), false},
		{"other version tag", headers("v1a," + vectorSignature[3:]), vectorBody, at, false},
		{"no signature", headers(""), vectorBody, at, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Verify(tc.h, []byte(tc.body), tc.now, 5*time.Minute)
			if (err == nil) != tc.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestNewSignerRejectsBadSecrets(t *testing.T) {
	for _, secret := range []string{"", "whsec_not*base64"} {
		if _, err := crm.NewSigner(secret); err == nil {
			t.Errorf("NewSigner(%q) accepted a bad secret", secret)
		}
	}
}
