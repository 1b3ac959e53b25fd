package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/usher-hub/usher"
)

// metricsTokenName is the metrics token's name in the throttle.
const metricsTokenName = "metrics token"

// MetricsHandler serves the Prometheus metrics of g. With a token, a
// scrape must send "Authorization: Bearer TOKEN" (compared in constant
// time; wrong tokens count in throttle like any failed credential), since
// the metrics name every institution and its volumes.
func MetricsHandler(g prometheus.Gatherer, token string, throttle *AuthThrottle, logger *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := ClientAddr(r)
		if err := throttle.Check(addr, metricsTokenName); err != nil {
			Error(w, r, logger, err)
			return
		}
		presented := RequestKey(r)
		got := sha256.Sum256([]byte(presented))
		ok := subtle.ConstantTimeCompare(got[:], want[:]) == 1
		if presented != "" {
			throttle.Record(addr, metricsTokenName, ok)
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="usher metrics"`)
			Error(w, r, logger, usher.Errorf(usher.EUNAUTHORIZED, "/metrics needs Authorization: Bearer TOKEN (metrics.token)"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// MetricsOnly is the handler of a separate metrics listener: /metrics and
// nothing else, behind the same client-address and recovery middleware.
func MetricsOnly(metrics http.Handler, d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	return Chain(mux, Recover(d.Logger), ClientAddress(d.TrustedProxies), AccessLog(d.Logger))
}
