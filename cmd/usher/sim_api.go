package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/usher-hub/usher/internal/sim/s360"
)

// startS360API serves S-360's Contact API and order API for venue on addr
// (`usher sim s360 --api-listen`), with S-360's rate limit and error
// format. The API stand-in is internal/sim/s360api, built separately;
// wiring it is this one function.
func startS360API(_ context.Context, addr string, _ *s360.Venue, _ *slog.Logger) (stop func(), err error) {
	return nil, errors.New("--api-listen " + addr + ": the S-360 API stand-in (internal/sim/s360api) is not part of this build yet")
}
