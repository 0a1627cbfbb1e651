package main

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// initData makes a data folder with a migrated database.
func initData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := openStore(context.Background(), dir, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return dir
}

func openData(t *testing.T, dir string) *store.DB {
	t.Helper()
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "safedesk.db"), ring, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestTokenCommand(t *testing.T) {
	dir := initData(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--data", dir, "--scopes", "tickets:read,kb:read", "--name", "crm", "--ttl", "24h"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	token := lines[len(lines)-1]
	if !store.SecretLooksValid(token, store.PrefixToken) {
		t.Fatalf("last line %q is not a token; output %q", token, out.String())
	}
	db := openData(t, dir)
	p, err := db.AuthenticateToken(ctx, token, netip.MustParseAddr("127.0.0.1"))
	if err != nil || !p.Has(store.ScopeKBRead) || p.Has(store.ScopeTicketsWrite) || p.ExpiresAt.IsZero() {
		t.Fatalf("token %+v: %v", p, err)
	}
	db.Close()

	out.Reset()
	if err := run(ctx, []string{"token", "list", "--data", dir}, &out, &bytes.Buffer{}); err != nil || !strings.Contains(out.String(), "crm") || strings.Contains(out.String(), token) {
		t.Errorf("list: %v %q", err, out.String())
	}
	if err := run(ctx, []string{"token", "revoke", "--data", dir, "1"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	db = openData(t, dir)
	if _, err := db.AuthenticateToken(ctx, token, netip.MustParseAddr("127.0.0.1")); !errors.Is(err, store.ErrTokenInvalid) {
		t.Errorf("revoked token: %v", err)
	}

	for _, args := range [][]string{
		{"token", "create", "--data", dir},
		{"token", "create", "--data", dir, "--scopes", "root"},
		{"token", "create", "--data", dir, "--scopes", "kb:read", "--allow-from", "not-an-ip"},
		{"token", "create", "--data", dir, "--scopes", "kb:read", "--ttl", "-1h"},
		{"token", "frobnicate"},
		{"client", "create", "--data", dir, "--scopes", ""},
	} {
		var u usageError
		if err := run(ctx, args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &u) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}

func TestClientCommand(t *testing.T) {
	dir := initData(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"client", "create", "--data", dir, "--scopes", "tickets:write", "--name", "shop"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var id, secret string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "client_id "); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "client_secret "); ok {
			secret = v
		}
	}
	db := openData(t, dir)
	c, err := db.AuthenticateClient(ctx, id, secret, netip.MustParseAddr("127.0.0.1"))
	if err != nil || c.Name != "shop" {
		t.Fatalf("client %+v: %v (output %q)", c, err, out.String())
	}
}

func TestAPIFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--api-rate", "0"},
		{"serve", "--api-rate", "-3"},
		{"serve", "--api-burst", "0"},
	} {
		var u usageError
		if err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &u) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
	if got := splitList(" a.example, ,b.example:8443 ,"); strings.Join(got, "|") != "a.example|b.example:8443" {
		t.Errorf("splitList: %q", got)
	}
}
