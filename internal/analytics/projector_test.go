package analytics_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestProjectorFollowsIngest runs the projector as the server does and
// checks that stored documents reach the reports and the metrics.
func TestProjectorFollowsIngest(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := store.Open(ctx, testdb.DSN(t, engine), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			m := metrics.NewAnalytics(prometheus.NewRegistry())
			p := analytics.NewProjector(st, analytics.ProjectorConfig{Interval: 10 * time.Millisecond, Orders: 2, MaxLag: time.Hour},
				m, slog.New(slog.DiscardHandler), time.Now)
			done := make(chan struct{})
			go func() {
				defer close(done)
				p.Run(ctx)
			}()
			if _, err := st.SaveDocuments(ctx, fx.All(t, fx.Institution)); err != nil {
				t.Fatal(err)
			}
			q := usher.ReportQuery{Institution: fx.Institution, From: fx.Day(1), To: fx.Day(28), Interval: usher.IntervalMonth}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				rep, err := st.ReportSales(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				// The fixture's six orders: three sales, a refund, an
				// abandoned order and a reservation.
				if r := rep.Rows; len(r) == 1 && r[0].Orders == 3 && r[0].RefundOrders == 1 && r[0].AbandonedOrders == 1 && r[0].PendingOrders == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("sales = %+v after 10 s: the projector did not apply the orders", rep.Rows)
				}
			}
			cancel()
			<-done
			if got := value(t, m.Projected.WithLabelValues("checks")); got != 12 {
				t.Errorf("projected checks = %v, want the fixture's 12", got)
			}
			if got := value(t, m.Projected.WithLabelValues("orders")); got != 6 {
				t.Errorf("projected orders = %v, want the fixture's 6 (2 per projection)", got)
			}
			if got := value(t, m.Lag); got != 0 {
				t.Errorf("lag = %v s, want 0 once the queue is empty", got)
			}
		})
	}
}

// value reads a counter's or gauge's current value.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}
