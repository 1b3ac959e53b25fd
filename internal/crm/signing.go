package crm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers (spec v1.0.0).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Signer signs deliveries with one destination's secret.
type Signer struct {
	key []byte
}

// NewSigner returns a signer for secret. A secret in the Standard
// Webhooks form "whsec_<base64>" is decoded to its key bytes, so the
// CRM's Standard Webhooks library verifies with the same string; any
// other secret is used as it is.
func NewSigner(secret string) (Signer, error) {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return Signer{}, errors.New("a whsec_ secret must be base64 after the prefix")
		}
		return Signer{key: key}, nil
	}
	if secret == "" {
		return Signer{}, errors.New("empty signing secret")
	}
	return Signer{key: []byte(secret)}, nil
}

// Sign returns the webhook-signature value for a message.
func (s Signer) Sign(id string, ts time.Time, body []byte) string {
	return "v1," + s.sum(id, strconv.FormatInt(ts.Unix(), 10), body)
}

func (s Signer) sum(id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SetHeaders sets the three Standard Webhooks headers on h.
func (s Signer) SetHeaders(h http.Header, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, s.Sign(id, ts, body))
}

// ErrSignature is returned by Verify for a delivery that is not authentic.
var ErrSignature = errors.New("webhook signature does not verify")

// Verify checks a delivery the way a CRM should: the timestamp within
// tolerance of now (against replays), then any of the space-separated
// v1 signatures, compared in constant time.
func (s Signer) Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts := h.Get(HeaderID), h.Get(HeaderTimestamp)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(secs, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook timestamp outside the tolerance")
	}
	want := []byte(s.sum(id, ts, body))
	for _, sig := range strings.Fields(h.Get(HeaderSignature)) {
		v, got, ok := strings.Cut(sig, ",")
		if ok && v == "v1" && hmac.Equal([]byte(got), want) {
			return nil
		}
	}
	return ErrSignature
}
