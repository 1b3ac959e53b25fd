package s360

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"
)

// TokenLifetime is how long a token is valid: S-360 accepts at most 30 s
// between iat and exp.
const TokenLifetime = 30 * time.Second

// Claims are the fields S-360 reads from the bearer token.
type Claims struct {
	// Subject is the institution code.
	Subject string `json:"sub"`
	// Audience is the virtual operator, such as MYVENUE_CRM.
	Audience string `json:"aud"`
	// Issuer is the partner name S-360 registered.
	Issuer string `json:"iss"`
	// IssuedAt and Expires are Unix seconds, as the public example token
	// and the clients in the wild send them.
	IssuedAt int64 `json:"iat"`
	Expires  int64 `json:"exp"`
}

var tokenHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// SignToken returns the compact HS256 JWT of c signed with secret.
func SignToken(c Claims, secret string) string {
	payload, _ := json.Marshal(c)
	signing := tokenHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// NewClaims returns the claims of a token issued at now.
func NewClaims(institution, operator, partner string, now time.Time) Claims {
	return Claims{
		Subject:  institution,
		Audience: operator,
		Issuer:   partner,
		IssuedAt: now.Unix(),
		Expires:  now.Add(TokenLifetime).Unix(),
	}
}
