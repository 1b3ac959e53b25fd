package storefront

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/site"
)

// credentialsOnly reads a sign-in body and refuses an identity: the
// storefront vouches for no website identity, so its visitors sign in
// with Centaman credentials only.
func credentialsOnly(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, usher.Errorf(usher.ETOOLARGE, "body is over the limit of %d bytes", maxBody)
	}
	if err != nil {
		return nil, usher.Errorf(usher.EINVALID, "could not read body: %v", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return nil, usher.Errorf(usher.EINVALID, "body must be a JSON object")
	}
	if _, ok := fields["identity"]; ok {
		return nil, usher.Errorf(usher.EINVALID, "sign in with your member number and surname, or your e-mail and password")
	}
	return data, nil
}

// signIn forwards a sign-in and keeps the session token in an HttpOnly
// cookie; the page gets the member and the expiry, not the token.
func (s *Storefront) signIn(w http.ResponseWriter, r *http.Request, code string) {
	rec := httptest.NewRecorder()
	s.opts.API.ServeHTTP(rec, r)
	if rec.Code != http.StatusCreated {
		copyAnswer(w, rec)
		return
	}
	var sess site.Session
	if err := json.Unmarshal(rec.Body.Bytes(), &sess); err != nil || sess.Token == "" {
		httpapi.Error(w, r, s.opts.Logger, errors.New("sign-in answer without a session"))
		return
	}
	maxAge := int(sess.ExpiresAt.Sub(s.opts.Now()).Seconds())
	http.SetCookie(w, &http.Cookie{Name: memberCookie, Value: sess.Token, Path: "/storefront/" + code + "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: max(maxAge, 1)})
	w.Header().Set("Cache-Control", "no-store")
	httpapi.JSON(w, http.StatusCreated, map[string]any{"member": sess.Member, "expires_at": sess.ExpiresAt})
}

// me forwards GET and DELETE of the member's own session; an ended
// session (sign-out, expiry, an outage) clears the cookie.
func (s *Storefront) me(w http.ResponseWriter, r *http.Request, code string) {
	rec := httptest.NewRecorder()
	s.opts.API.ServeHTTP(rec, r)
	if r.Method == http.MethodDelete || rec.Code == http.StatusUnauthorized || bytes.Contains(rec.Body.Bytes(), []byte(`"session_ended":true`)) {
		http.SetCookie(w, &http.Cookie{Name: memberCookie, Value: "", Path: "/storefront/" + code + "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: -1})
	}
	copyAnswer(w, rec)
}

func copyAnswer(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
