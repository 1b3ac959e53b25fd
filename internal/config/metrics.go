package config

import (
	"fmt"
	"net"
)

// Metrics protects the Prometheus endpoint, which names every institution
// and its volumes. Either or both: a bearer token the scraper sends, and
// a listen address of its own (say 127.0.0.1:9090 or a private network),
// in which case /metrics is served there and no longer on Listen.
type Metrics struct {
	// Token, else the variable TokenEnv, else the file TokenFile: the
	// scraper sends "Authorization: Bearer TOKEN". Env USHER_METRICS_TOKEN.
	Token     string `yaml:"token"`
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
	// Listen, when set, serves /metrics (only) on this address.
	// Env USHER_METRICS_LISTEN.
	Listen string `yaml:"listen"`
}

func (m *Metrics) applyEnv(getenv func(string) string) error {
	if v := getenv("USHER_METRICS_TOKEN"); v != "" {
		m.Token = v
	}
	if v := getenv("USHER_METRICS_LISTEN"); v != "" {
		m.Listen = v
	}
	if err := resolveSecret(&m.Token, m.TokenEnv, m.TokenFile, getenv); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

func (m Metrics) validate() error {
	if m.Token != "" {
		if err := checkSecretLen("metrics.token (USHER_METRICS_TOKEN)", m.Token); err != nil {
			return err
		}
	}
	if m.Listen != "" {
		if _, _, err := net.SplitHostPort(m.Listen); err != nil {
			return fmt.Errorf("metrics.listen (USHER_METRICS_LISTEN) must be host:port, got %q", m.Listen)
		}
	}
	return nil
}
