package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

func runForTest(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := run(context.Background(), append([]string{"usher"}, args...), getenv, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestUsageListsCommands(t *testing.T) {
	out, _, err := runForTest(t, nil, "help")
	if exitCode(err) != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Fatalf("usage: %v\n%s", err, out)
	}
	if _, _, err := runForTest(t, nil, "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestMigrateAndConfig(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/u.db"
	out, _, err := runForTest(t, map[string]string{"USHER_DATABASE": dsn}, "migrate")
	if err != nil || !strings.Contains(out, "applied ") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	out, _, err = runForTest(t, map[string]string{"USHER_ADMIN_KEY": "very-secret-admin-key"}, "config")
	if err != nil || strings.Contains(out, "very-secret-admin-key") || !strings.Contains(out, "REDACTED") {
		t.Fatalf("config must redact secrets: %v\n%s", err, out)
	}
}

func TestBadConfigurationIsExplained(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"USHER_DATABASE": "mysql://x"}, "USHER_DATABASE"},
		{map[string]string{"USHER_MAX_BODY_BYTES": "lots"}, "USHER_MAX_BODY_BYTES"},
		{map[string]string{"USHER_LOG_LEVEL": "loud"}, "USHER_LOG_LEVEL"},
	} {
		_, _, err := runForTest(t, tt.env, "serve")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want mention of %s", tt.env, err, tt.want)
		}
	}
}

func TestContactsForgetFromTheCommandLine(t *testing.T) {
	dsn := testdb.SQLite(t)
	st, err := store.Open(context.Background(), dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile("../../testdata/s360/contacts.json")
	var items []json.RawMessage
	_ = json.Unmarshal(body, &items)
	for _, raw := range items {
		d, err := ingest.Describe("myvenue", usher.StreamContacts, raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDocuments(context.Background(), []usher.Document{d}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	env := map[string]string{"USHER_DATABASE": dsn}
	out, _, err := runForTest(t, env, "contacts", "forget", "--institution", "myvenue", "--actor", "dpo@venue", "--reason", "ticket 12", "3346662")
	if err != nil || !strings.Contains(out, "1 contact versions") {
		t.Fatalf("forget: %v %s", err, out)
	}
	out, _, err = runForTest(t, env, "contacts", "erasures", "--institution", "myvenue")
	if err != nil || !strings.Contains(out, `"actor":"dpo@venue"`) || strings.Contains(out, "Bond") {
		t.Fatalf("erasures: %v %s", err, out)
	}
	if _, _, err := runForTest(t, env, "contacts", "forget", "--institution", "myvenue", "--actor", "x", "nobody"); err == nil || !strings.Contains(err.Error(), "no contact nobody") {
		t.Fatalf("unknown contact: %v", err)
	}
}
