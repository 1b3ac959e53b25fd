package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher/internal/sim/s360api"
)

// s360APISecretEnv names the variable holding the operator secret that
// signs API tokens for `usher sim s360 --api-listen`: usher's s360_api
// block must hold the same secret.
const s360APISecretEnv = "S360_API_SECRET"

// startS360API serves S-360's Contact API and order API for institution on
// addr (`usher sim s360 --api-listen`), with S-360's rate limit (180 calls
// a minute) and error format, so the CRM write path can be rehearsed.
func startS360API(_ context.Context, addr, institution string, getenv func(string) string, logger *slog.Logger) (stop func(), err error) {
	secret := getenv(s360APISecretEnv)
	if secret == "" {
		return nil, fmt.Errorf("--api-listen: set %s to the operator secret usher's s360_api block uses", s360APISecretEnv)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--api-listen %s: %w", addr, err)
	}
	sim := s360api.New(s360api.Config{Institutions: []s360api.Institution{{Code: strings.ToUpper(institution), Secret: secret}}})
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("S-360 API stand-in stopped", "err", err)
		}
	}()
	logger.Info("S-360 API stand-in listening", "url", "http://"+ln.Addr().String(), "institution", institution)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
