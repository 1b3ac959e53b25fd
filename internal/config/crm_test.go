package config

import (
	"strings"
	"testing"
	"time"
)

const crmYAML = `
institutions:
  - code: myvenue
    auth: {mode: none}
    crm_destinations:
      - name: extcrm
        url: https://crm.example.org/s360/{stream}/{institution}
        streams: [contacts]
        signing_secret_env: EXTCRM_WHSEC
        auth: {mode: bearer, secret: crm-bearer-0123456789}
        timeout: 5s
    s360_api:
      base_url: https://myvenue.ws.secutix.com
      operator: MYVENUE_CRM
      partner: usher
      secret_env: S360_SECRET
      rate_limit: 600
      rate_window: 1m
outbox:
  poll_interval: 250ms
`

func TestCRMConfig(t *testing.T) {
	cfg, err := loadYAML(t, crmYAML, map[string]string{"EXTCRM_WHSEC": "whsec_abc", "S360_SECRET": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	inst := cfg.Institutions[0]
	d := inst.CRMDestinations[0].WithDefaults()
	if d.SigningSecret != "whsec_abc" || d.Timeout != 5*time.Second || d.Format != "s360" || d.MaxAttempts != 15 {
		t.Fatalf("destination = %+v", d)
	}
	api := inst.S360API.WithDefaults(inst.Code)
	if api.Secret != "pw" || api.Institution != "MYVENUE" || api.RateLimit != 600 || api.RateWindow != time.Minute || api.CircuitFailures != 5 {
		t.Fatalf("s360_api = %+v", api)
	}
	if cfg.Outbox.PollInterval != 250*time.Millisecond {
		t.Fatalf("outbox = %+v", cfg.Outbox)
	}
	routes := cfg.CRMRoutes()
	if len(routes) != 1 || routes[0].Stream != "contacts" || routes[0].Destination != "extcrm" {
		t.Fatalf("routes = %+v", routes)
	}
	red := cfg.Redacted()
	out := red.YAML()
	if strings.Contains(out, "whsec_abc") || strings.Contains(out, "crm-bearer-0123456789") || strings.Contains(out, ": pw") {
		t.Fatalf("redacted config shows a secret:\n%s", out)
	}
	if cfg.Institutions[0].CRMDestinations[0].SigningSecret != "whsec_abc" || cfg.Institutions[0].S360API.Secret != "pw" {
		t.Fatal("Redacted changed the original configuration")
	}
}

func TestCRMConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unsigned", `institutions: [{code: v, auth: {mode: none}, crm_destinations: [{name: a, url: "https://x.example"}]}]`, "signing secret"},
		{"bad url", `institutions: [{code: v, auth: {mode: none}, crm_destinations: [{name: a, url: "ftp://x", signing_secret: s}]}]`, "url"},
		{"bad stream", `institutions: [{code: v, auth: {mode: none}, crm_destinations: [{name: a, url: "https://x.example", signing_secret: s, streams: [ticketchecks]}]}]`, "streams"},
		{"twice", `institutions: [{code: v, auth: {mode: none}, crm_destinations: [{name: a, url: "https://x.example", signing_secret: s}, {name: a, url: "https://y.example", signing_secret: s}]}]`, "twice"},
		{"api secret", `institutions: [{code: v, auth: {mode: none}, s360_api: {base_url: "https://v.ws.secutix.com", operator: o, partner: p}}]`, "secret"},
		{"headroom", `institutions: [{code: v, auth: {mode: none}, s360_api: {base_url: "https://v.ws.secutix.com", operator: o, partner: p, secret: s, rate_headroom: 0.9}}]`, "rate_headroom"},
		{"rate mode", `institutions: [{code: v, auth: {mode: none}, s360_api: {base_url: "https://v.ws.secutix.com", operator: o, partner: p, secret: s, rate_mode: minute}}]`, "rate_mode"},
		{"batch", `institutions: [{code: v, auth: {mode: none}, s360_api: {base_url: "https://v.ws.secutix.com", operator: o, partner: p, secret: s, contact_batch: 501}}]`, "contact_batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadYAML(t, tc.yaml, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
