package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// sessionCookie is the name of the dashboard's session cookie.
const sessionCookie = "usher_session"

// session is what the signed cookie carries: who logged in, which
// institutions their key may read, and when the login ends. The scope is
// fixed at login, so a key's scope change takes effect at its next login
// (or at once for everyone, by changing the session secret).
type session struct {
	Name         string   `json:"n"`
	Institutions []string `json:"i"`
	Expires      int64    `json:"e"`
}

func (s session) principal() usher.Principal {
	return usher.Principal{Name: s.Name, Institutions: s.Institutions}
}

// sessions signs and checks session cookies with an HMAC-SHA256 key.
type sessions struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewSecret returns a random session secret, for a server without a
// configured one: its sessions then end when it restarts.
func NewSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

func (s *sessions) sign(payload string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("usher dashboard session\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// issue returns the cookie that logs p in until now + ttl.
func (s *sessions) issue(p usher.Principal, secure bool) *http.Cookie {
	body, _ := json.Marshal(session{Name: p.Name, Institutions: p.Institutions, Expires: s.now().Add(s.ttl).Unix()})
	payload := base64.RawURLEncoding.EncodeToString(body)
	return &http.Cookie{
		Name: sessionCookie, Value: payload + "." + s.sign(payload), Path: "/",
		MaxAge: int(s.ttl.Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	}
}

// clear returns the cookie that logs the browser out.
func (s *sessions) clear(secure bool) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}

// read returns the session of r's cookie when its signature is good and it
// has not expired. The signature is checked before anything is decoded.
func (s *sessions) read(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return session{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return session{}, false
	}
	var sess session
	if err := json.Unmarshal(body, &sess); err != nil || s.now().Unix() >= sess.Expires {
		return session{}, false
	}
	return sess, true
}
