package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const testMetricsToken = "metrics-token-0123456789abcdef"

// FuzzMetricsToken sends arbitrary Authorization and X-Api-Key headers to
// a token-protected /metrics: 200 only for the exact token, 401 with a
// JSON body otherwise, never anything else.
func FuzzMetricsToken(f *testing.F) {
	for _, seed := range []string{"Bearer " + testMetricsToken, "Bearer " + testMetricsToken + " ", "bearer " + testMetricsToken,
		"Bearer", "Bearer ", "", "Basic dXNlcjpwdw==", "Bearer " + testMetricsToken[:15], "Bearer \x00"} {
		f.Add(seed, "")
	}
	f.Add("", testMetricsToken)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := MetricsHandler(prometheus.NewRegistry(), testMetricsToken, nil, logger)
	f.Fuzz(func(t *testing.T, authorization, apiKey string) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header["Authorization"] = []string{authorization}
		req.Header["X-Api-Key"] = []string{apiKey}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if RequestKey(req) == testMetricsToken {
			if w.Code != http.StatusOK {
				t.Fatalf("the token %q: %d", authorization, w.Code)
			}
			return
		}
		if w.Code != http.StatusUnauthorized || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("Authorization %q, X-Api-Key %q: %d %s", authorization, apiKey, w.Code, w.Header().Get("Content-Type"))
		}
	})
}

// TestMetricsTokenFailuresAreThrottled: wrong tokens count in the shared
// throttle like any failed credential.
func TestMetricsTokenFailuresAreThrottled(t *testing.T) {
	th := NewAuthThrottle(DefaultThrottleLimits, time.Now)
	h := MetricsHandler(prometheus.NewRegistry(), testMetricsToken, th, slog.New(slog.NewTextHandler(io.Discard, nil)))
	code := 0
	for range 10 {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Authorization", "Bearer wrong-token-0123456789")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if code = w.Code; code == http.StatusTooManyRequests {
			if w.Header().Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			return
		}
	}
	t.Fatalf("10 wrong metrics tokens, last answer %d, want a 429", code)
}
