package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadFlagsAreUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"serve", "--nope"}, nil, "flag provided but not defined"},
		{"bad addr", []string{"--addr", "nonsense"}, nil, "--addr"},
		{"bad base url", []string{"--base-url", "ftp://x"}, nil, "--base-url"},
		{"ip base url", []string{"--base-url", "http://127.0.0.1:8080"}, nil, "IP address"},
		{"bad proxies", []string{"--trusted-proxies", "10.0.0.0/99"}, nil, "--trusted-proxies"},
		{"smtp without from", []string{"--smtp", "smtp://mail.example.com"}, nil, "--mail-from"},
		{"bad duration", []string{"--staff-idle-timeout", "soon"}, nil, "staff-idle-timeout"},
		{"bad policy", []string{"--staff-sessions", "maybe"}, nil, "--staff-sessions"},
		{"bad env value", nil, map[string]string{"SAFEDESK_DEMO": "perhaps"}, "SAFEDESK_DEMO"},
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append(tt.args, "--data", t.TempDir())
			if tt.name == "unknown command" {
				args = tt.args
			}
			err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
			var u usageError
			if !errors.As(err, &u) {
				t.Fatalf("got %v, want a usage error", err)
			}
			if !strings.Contains(u.msg, tt.want) || strings.Contains(u.msg, "\n") {
				t.Fatalf("message %q: want one line naming %q", u.msg, tt.want)
			}
		})
	}
}

func TestEnvironmentFallback(t *testing.T) {
	t.Setenv("SAFEDESK_ADDR", "127.0.0.1:9999")
	t.Setenv("SAFEDESK_STAFF_SESSIONS", "block")
	cfg := defaultConfig()
	fs := flagSet(&cfg)
	if err := parseFlags(fs, []string{"--addr", "127.0.0.1:7777"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7777" {
		t.Fatalf("addr %q: the flag must win over the environment", cfg.Addr)
	}
	if cfg.StaffSessions != "block" {
		t.Fatalf("staff sessions %q: the environment was ignored", cfg.StaffSessions)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.baseURL.String() != "http://localhost:7777" {
		t.Fatalf("default base URL %s", cfg.baseURL)
	}
}

// TestExitCodes builds the binary and checks what a shell sees.
func TestExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "safedesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--addr", "bogus")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("bad flag: %v, want exit code 2", err)
	}
	if lines := strings.Count(strings.TrimSpace(stderr.String()), "\n"); lines != 0 {
		t.Fatalf("bad flag printed %d lines:\n%s", lines+1, stderr.String())
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"module    safedesk", "go        go1.", "modernc.org/sqlite", "github.com/go-webauthn/webauthn", "github.com/robfig/cron/v3"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

func TestSetupLinkCommand(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"setup-link", "--data", dir}, &out, &bytes.Buffer{}); err == nil {
		t.Fatal("setup-link without a database: want an error")
	}
	db, err := openStore(context.Background(), dir, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := run(context.Background(), []string{"setup-link", "--data", dir, "--base-url", "https://help.example.com"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "https://help.example.com/admin/setup?token=") {
		t.Fatalf("output %q", out.String())
	}
}
