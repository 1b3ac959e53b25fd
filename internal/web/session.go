package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// CookieName is the dashboard's session cookie.
const CookieName = "usher_session"

// session is what the signed cookie carries: who logged in, what they may
// see, and until when. The API key itself is never stored in the cookie.
type session struct {
	Name         string   `json:"n"`
	Institutions []string `json:"i"`
	Expires      int64    `json:"e"`
}

// sessions signs and checks session cookies with HMAC-SHA256.
type sessions struct {
	secret []byte
	ttl    time.Duration
	secure bool
	now    func() time.Time
}

// newSessions returns a signer; an empty secret is replaced by 32 random
// bytes, so sessions then last until the process restarts.
func newSessions(secret string, ttl time.Duration, secure bool, now func() time.Time) (*sessions, error) {
	key := []byte(secret)
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	return &sessions{secret: key, ttl: ttl, secure: secure, now: now}, nil
}

var errNoSession = errors.New("no valid session")

// issue sets a session cookie for p.
func (s *sessions) issue(w http.ResponseWriter, p usher.Principal) {
	expires := s.now().Add(s.ttl)
	payload, _ := json.Marshal(session{Name: p.Name, Institutions: p.Institutions, Expires: expires.Unix()})
	value := base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(s.sign(payload))
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
}

// clear removes the session cookie.
func (s *sessions) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// principal returns who the request's session cookie names, if the cookie
// is well formed, signed by this server and not expired.
func (s *sessions) principal(r *http.Request) (usher.Principal, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return usher.Principal{}, errNoSession
	}
	return s.decode(c.Value)
}

func (s *sessions) decode(value string) (usher.Principal, error) {
	payloadText, sigText, ok := strings.Cut(value, ".")
	if !ok {
		return usher.Principal{}, errNoSession
	}
	// Strict decoding rejects stray trailing bits, so a session has exactly
	// one valid cookie value.
	payload, err1 := base64.RawURLEncoding.Strict().DecodeString(payloadText)
	sig, err2 := base64.RawURLEncoding.Strict().DecodeString(sigText)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, s.sign(payload)) {
		return usher.Principal{}, errNoSession
	}
	var sess session
	if err := json.Unmarshal(payload, &sess); err != nil || s.now().Unix() >= sess.Expires {
		return usher.Principal{}, errNoSession
	}
	return usher.Principal{Name: sess.Name, Institutions: sess.Institutions}, nil
}

func (s *sessions) sign(payload []byte) []byte {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(payload)
	return mac.Sum(nil)
}
