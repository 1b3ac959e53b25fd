package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/testdb"
)

var (
	httpURL    = regexp.MustCompile(`listening on (http://\S+)`)
	metricsURL = regexp.MustCompile(`metrics on (http://\S+)/metrics`)
)

const metricsToken = "metrics-token-0123456789abcdef"

func status(t *testing.T, url, bearer string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestMetricsCanBeProtected: with metrics.token, /metrics (which names
// every institution) answers 401 without the token; with metrics.listen
// it is served there only.
func TestMetricsCanBeProtected(t *testing.T) {
	db := testdb.SQLite(t)
	base := "listen: 127.0.0.1:0\ndatabase: " + db + "\ninstitutions: [{code: myvenue, auth: {mode: none}}]\n"
	t.Run("token", func(t *testing.T) {
		_, urls := serveInProcess(t, base+"metrics: {token_env: TEST_METRICS_TOKEN}\n",
			map[string]string{"TEST_METRICS_TOKEN": metricsToken}, httpURL)
		if s := status(t, urls[0]+"/metrics", ""); s != http.StatusUnauthorized {
			t.Errorf("/metrics without the token: %d, want 401", s)
		}
		if s := status(t, urls[0]+"/metrics", "wrong-token-0123456789abcdef"); s != http.StatusUnauthorized {
			t.Errorf("/metrics with a wrong token: %d, want 401", s)
		}
		if s := status(t, urls[0]+"/metrics", metricsToken); s != http.StatusOK {
			t.Errorf("/metrics with the token: %d, want 200", s)
		}
	})
	t.Run("listen", func(t *testing.T) {
		p, urls := serveInProcess(t, base+"metrics: {listen: 127.0.0.1:0}\n", nil, httpURL, metricsURL)
		if s := status(t, urls[0]+"/metrics", ""); s != http.StatusNotFound {
			t.Errorf("/metrics on the main listener: %d, want 404", s)
		}
		if s := status(t, urls[1]+"/metrics", ""); s != http.StatusOK {
			t.Errorf("/metrics on metrics.listen: %d, want 200", s)
		}
		if s := status(t, urls[1]+"/healthz", ""); s != http.StatusNotFound {
			t.Errorf("metrics.listen serves more than /metrics: /healthz %d", s)
		}
		if strings.Contains(p.stderr.String(), "/metrics on") {
			t.Errorf("warned about an open /metrics although it has its own listener:\n%s", p.stderr)
		}
	})
	t.Run("auth none is warned about", func(t *testing.T) {
		p, _ := serveInProcess(t, base, nil, httpURL)
		if !strings.Contains(p.stderr.String(), "institution myvenue has auth mode none") {
			t.Errorf("no warning about auth mode none at start:\n%s", p.stderr)
		}
	})
}
