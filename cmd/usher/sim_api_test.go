package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestSimS360ServesTheAPI checks the --api-listen wiring: without a secret
// it refuses to start; with one, S-360's API answers on the address and
// turns away an unsigned call in S-360's own error format.
func TestSimS360ServesTheAPI(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	noEnv := func(string) string { return "" }
	if _, err := startS360API(context.Background(), "127.0.0.1:0", "myvenue", noEnv, logger); err == nil || !strings.Contains(err.Error(), s360APISecretEnv) {
		t.Fatalf("without a secret: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stop, err := startS360API(context.Background(), addr, "myvenue", func(string) string { return "operator-secret" }, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Post("http://"+addr+"/tnco/backend-apis/contactInformationPublicService/v2_21/getContactData",
		"application/json", strings.NewReader(`{"contactNumber":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "statusCode") {
		t.Fatalf("unsigned call: %d %s, want 401 in S-360's error format", resp.StatusCode, body)
	}
}
