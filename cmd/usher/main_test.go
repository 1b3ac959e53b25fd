package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
