package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// applyProxiesEnv reads USHER_TRUSTED_PROXIES (comma-separated).
func (c *Config) applyProxiesEnv(getenv func(string) string) {
	if v := getenv("USHER_TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
	}
}

// TrustedProxyPrefixes returns trusted_proxies as prefixes; a bare
// address is a prefix of one address. Validate has checked them.
func (c Config) TrustedProxyPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, s := range c.TrustedProxies {
		if p, err := parseProxy(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func (c Config) validateProxies() error {
	for i, s := range c.TrustedProxies {
		if _, err := parseProxy(s); err != nil {
			return fmt.Errorf("trusted_proxies[%d] (USHER_TRUSTED_PROXIES): %q is not an address or CIDR prefix like 10.0.0.0/8", i, s)
		}
	}
	return nil
}

func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
