package ingest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/schema"
	"github.com/usher-hub/usher/internal/testdb"
)

// gatedStore holds each SaveDocuments of a real store until the test
// lets it go, so that payloads are being stored at the same time.
type gatedStore struct {
	usher.Store
	entered chan struct{}
	release chan struct{}
}

func (g gatedStore) SaveDocuments(ctx context.Context, docs []usher.Document) ([]usher.Outcome, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.Store.SaveDocuments(ctx, docs)
}

func TestBusyWhilePushesWaitForOneAnother(t *testing.T) {
	st := setup(t, testdb.Engines[0], "").store
	g := gatedStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := schema.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(g, reg, metrics.NewIngest(prometheus.NewRegistry()), logger)
	push := func(id int) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := svc.Ingest(context.Background(), quarantinePolicy, usher.StreamTicketChecks, []byte("["+checkJSON(id, "IN", 10)+"]"))
			done <- err
		}()
		return done
	}
	if svc.Busy() {
		t.Fatal("busy with no push")
	}
	first := push(1)
	<-g.entered
	if svc.Busy() {
		t.Fatal("busy with one push being stored: a lone sender would hold the projector off")
	}
	second := push(2)
	<-g.entered
	if !svc.Busy() {
		t.Fatal("not busy with two pushes being stored at once")
	}
	g.release <- struct{}{}
	g.release <- struct{}{}
	for _, done := range []chan error{first, second} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if svc.Busy() {
		t.Fatal("still busy after every push was answered")
	}
}
