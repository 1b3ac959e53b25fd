package storefront_test

import (
	"bytes"
	"io"
	"log/slog"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
