package s360api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// clockSkew is how far a token's times may be off the simulator's clock.
const clockSkew = 5 * time.Second

// maxTokenLife is S-360's limit between iat and exp.
const maxTokenLife = 30 * time.Second

// authenticate checks an "Authorization: Bearer <JWT>" header the way
// S-360 documents it and returns the institution the token is for. This
// is written apart from usher's client on purpose: a stand-in that shares
// the client's code would accept the client's mistakes.
func (s *Sim) authenticate(header string, now time.Time) (*instance, error) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return nil, errors.New("missing bearer token")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("token is not a JWT")
	}
	var head struct {
		Alg string `json:"alg"`
	}
	if err := decodePart(parts[0], &head); err != nil || head.Alg != "HS256" {
		return nil, errors.New("token must be signed with HS256")
	}
	var claims struct {
		Sub string      `json:"sub"`
		Aud string      `json:"aud"`
		Iss string      `json:"iss"`
		Iat json.Number `json:"iat"`
		Exp json.Number `json:"exp"`
	}
	if err := decodePart(parts[1], &claims); err != nil {
		return nil, errors.New("token claims are not JSON")
	}
	inst, ok := s.insts[claims.Sub]
	if !ok {
		return nil, fmt.Errorf("unknown institution %q in sub", claims.Sub)
	}
	mac := hmac.New(sha256.New, []byte(inst.Secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, errors.New("bad token signature")
	}
	if claims.Aud == "" || claims.Iss == "" {
		return nil, errors.New("token needs aud (operator) and iss (partner)")
	}
	return inst, checkTimes(claims.Iat, claims.Exp, now)
}

// checkTimes accepts seconds or milliseconds since the epoch: S-360's
// page says millis, its example token and the clients in use send seconds.
func checkTimes(iatN, expN json.Number, now time.Time) error {
	iat, err1 := epoch(iatN)
	exp, err2 := epoch(expN)
	if err1 != nil || err2 != nil {
		return errors.New("token needs numeric iat and exp")
	}
	switch {
	case iat.After(now.Add(clockSkew)):
		return errors.New("token issued in the future")
	case !exp.After(now.Add(-clockSkew)):
		return errors.New("token expired")
	case exp.Sub(iat) > maxTokenLife+time.Second:
		return errors.New("token lives longer than 30 s")
	}
	return nil
}

func epoch(n json.Number) (time.Time, error) {
	v, err := n.Int64()
	if err != nil {
		return time.Time{}, err
	}
	if v > 1e11 {
		return time.UnixMilli(v), nil
	}
	return time.Unix(v, 0), nil
}

func decodePart(part string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
