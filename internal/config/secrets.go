package config

import (
	"fmt"
	"net"
)

// MinSecretLen is the shortest secret usher accepts for a credential it
// checks itself (push secrets, API keys, the metrics token): online
// guessing is throttled, but a short secret would still fall to a patient
// attacker, and nothing forces anyone to choose one.
const MinSecretLen = 16

// checkSecretLen refuses a secret shorter than MinSecretLen, naming the
// setting (never the secret).
func checkSecretLen(what, secret string) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("%s is %d characters long; secrets must be at least %d (try `openssl rand -hex 24`)", what, len(secret), MinSecretLen)
	}
	return nil
}

// Warnings lists what is allowed but risky, for the server to log at
// start: institutions that accept pushes without credentials, and a
// /metrics open to whoever reaches the listen address.
func (c Config) Warnings() []string {
	var out []string
	for _, inst := range c.Institutions {
		if inst.Auth.Mode == "none" {
			out = append(out, fmt.Sprintf("institution %s has auth mode none: anyone who reaches usher can push documents for it", inst.Code))
		}
	}
	if c.Metrics.Token == "" && c.Metrics.Listen == "" && !loopback(c.Listen) {
		out = append(out, fmt.Sprintf("/metrics on %s is open to anyone who reaches it and names every institution: set metrics.token_env or metrics.listen", c.Listen))
	}
	return out
}

// loopback reports whether addr listens on the loopback interface only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
