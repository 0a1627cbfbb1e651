package store_test

import (
	"bytes"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

var admin = store.Actor{Type: store.ActorStaff, ID: "1", ClientIP: "198.51.100.1"}

var local = netip.MustParseAddr("127.0.0.1")

func TestTokenFormat(t *testing.T) {
	db, _ := newTestDB(t)
	_, secret, err := db.CreateToken(t.Context(), store.NewToken{Name: "sync", Scopes: []string{store.ScopeTicketsRead}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sdk_") || len(secret) != 4+36+6 {
		t.Fatalf("token %q: want sdk_ + 42 characters", secret)
	}
	if !store.SecretLooksValid(secret, store.PrefixToken) {
		t.Fatal("a fresh token fails its own checksum")
	}
	// Any one changed character breaks the checksum.
	for i := 4; i < len(secret); i++ {
		b := []byte(secret)
		b[i] = map[bool]byte{true: 'b', false: 'a'}[b[i] == 'a']
		if store.SecretLooksValid(string(b), store.PrefixToken) {
			t.Errorf("changing character %d kept the checksum valid", i)
		}
	}
	for _, bad := range []string{"", "sdk_", secret + "x", secret[:len(secret)-1], "sdo_" + secret[4:], strings.Replace(secret, secret[10:11], "-", 1)} {
		if store.SecretLooksValid(bad, store.PrefixToken) {
			t.Errorf("%q passes as a token", bad)
		}
	}
}

func TestAuthenticateToken(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	allowOnly, _ := store.ParseAllowFrom("10.0.0.0/8, 2001:db8::1")
	tok, secret, err := db.CreateToken(ctx, store.NewToken{Name: "crm", Scopes: []string{store.ScopeKBRead, store.ScopeTicketsRead}, TTL: time.Hour}, admin)
	if err != nil {
		t.Fatal(err)
	}
	_, fenced, err := db.CreateToken(ctx, store.NewToken{Name: "fenced", Scopes: []string{store.ScopeKBRead}, AllowFrom: allowOnly}, admin)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("valid token authenticates with its scopes and records its use", func(t *testing.T) {
		p, err := db.AuthenticateToken(ctx, secret, local)
		if err != nil {
			t.Fatal(err)
		}
		if p.TokenID != tok.ID || !p.Has(store.ScopeTicketsRead) || p.Has(store.ScopeTicketsWrite) {
			t.Errorf("got %+v", p)
		}
		got, _ := db.GetToken(ctx, tok.ID)
		if got.LastUsedAt.IsZero() || got.LastUsedIP != "127.0.0.1" {
			t.Errorf("last used %v from %q", got.LastUsedAt, got.LastUsedIP)
		}
	})
	t.Run("allow-list", func(t *testing.T) {
		if _, err := db.AuthenticateToken(ctx, fenced, local); !errors.Is(err, store.ErrTokenAddress) {
			t.Errorf("from 127.0.0.1: got %v, want ErrTokenAddress", err)
		}
		for _, ip := range []string{"10.1.2.3", "::ffff:10.1.2.3", "2001:db8::1"} {
			if _, err := db.AuthenticateToken(ctx, fenced, netip.MustParseAddr(ip)); err != nil {
				t.Errorf("from %s: %v", ip, err)
			}
		}
	})
	t.Run("unknown and malformed", func(t *testing.T) {
		other := "Z" // one character of the random part changed
		if secret[5] == 'Z' {
			other = "Y"
		}
		for _, s := range []string{"", "sdk_nope", secret[:5] + other + secret[6:], secret + " "} {
			if _, err := db.AuthenticateToken(ctx, s, local); !errors.Is(err, store.ErrTokenInvalid) {
				t.Errorf("%q: got %v", s, err)
			}
		}
	})
	t.Run("expiry", func(t *testing.T) {
		clk.Advance(time.Hour)
		if _, err := db.AuthenticateToken(ctx, secret, local); !errors.Is(err, store.ErrTokenExpired) {
			t.Errorf("after its hour: got %v", err)
		}
	})
	t.Run("revocation", func(t *testing.T) {
		toks, _ := db.ListTokens(ctx)
		for _, x := range toks {
			if err := db.RevokeToken(ctx, x.ID, admin); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.AuthenticateToken(ctx, fenced, netip.MustParseAddr("10.0.0.1")); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("revoked: got %v", err)
		}
		if err := db.RevokeToken(ctx, tok.ID, admin); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoking twice: got %v", err)
		}
	})
	t.Run("invalid new tokens", func(t *testing.T) {
		for _, nt := range []store.NewToken{
			{Name: "", Scopes: []string{store.ScopeKBRead}},
			{Name: "x", Scopes: nil},
			{Name: "x", Scopes: []string{"admin:all"}},
			{Name: "x", Scopes: []string{store.ScopeKBRead}, TTL: -time.Second},
		} {
			if _, _, err := db.CreateToken(ctx, nt, admin); wantValidation(err) != nil {
				t.Errorf("%+v: %v", nt, err)
			}
		}
	})
}

func TestOAuthClients(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	c, secret, err := db.CreateClient(ctx, store.NewClient{Name: "shop", Scopes: []string{store.ScopeTicketsRead, store.ScopeTicketsWrite}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ClientID, "sdc_") || !store.SecretLooksValid(secret, store.PrefixClientSecret) {
		t.Fatalf("client id %q secret %q", c.ClientID, secret)
	}
	t.Run("wrong secret, unknown client", func(t *testing.T) {
		other := strings.Replace(secret, secret[6:7], "Q", 1)
		if other == secret {
			other = strings.Replace(secret, secret[6:7], "R", 1)
		}
		for _, tc := range [][2]string{{c.ClientID, other}, {c.ClientID, ""}, {"sdc_unknown", secret}} {
			if _, err := db.AuthenticateClient(ctx, tc[0], tc[1], local); !errors.Is(err, store.ErrClientInvalid) {
				t.Errorf("%v: got %v", tc, err)
			}
		}
	})
	got, err := db.AuthenticateClient(ctx, c.ClientID, secret, local)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("never more than the client's scopes", func(t *testing.T) {
		if _, _, err := db.IssueAccessToken(ctx, got, []string{store.ScopeTicketsRead, store.ScopeCustomersErase}, time.Hour, local, admin); !errors.Is(err, store.ErrScopeNotGranted) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("an access token lives at most an hour", func(t *testing.T) {
		tok, p, err := db.IssueAccessToken(ctx, got, nil, 24*time.Hour, local, admin)
		if err != nil {
			t.Fatal(err)
		}
		if d := p.ExpiresAt.Sub(clk.Now()); d != time.Hour {
			t.Errorf("lifetime %v", d)
		}
		if _, err := db.AuthenticateToken(ctx, tok, local); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		if _, err := db.AuthenticateToken(ctx, tok, local); !errors.Is(err, store.ErrTokenExpired) {
			t.Errorf("after an hour: %v", err)
		}
	})
	t.Run("revoking the client kills its tokens", func(t *testing.T) {
		tok, _, err := db.IssueAccessToken(ctx, got, []string{store.ScopeTicketsRead}, 0, local, admin)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeClient(ctx, c.ID, admin); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AuthenticateToken(ctx, tok, local); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("token of a revoked client: %v", err)
		}
		if _, err := db.AuthenticateClient(ctx, c.ClientID, secret, local); !errors.Is(err, store.ErrClientInvalid) {
			t.Errorf("revoked client: %v", err)
		}
		// Revoked between authenticating and asking for a token.
		if _, _, err := db.IssueAccessToken(ctx, got, nil, 0, local, admin); !errors.Is(err, store.ErrClientInvalid) {
			t.Errorf("token for a client revoked since it authenticated: %v", err)
		}
	})
}

// TestNoSecretsAtRest makes every kind of secret the API hands out, then
// scans the data folder: none may be there in the clear.
func TestNoSecretsAtRest(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	_, token, err := db.CreateToken(ctx, store.NewToken{Name: "t", Scopes: []string{store.ScopeKBRead}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	c, clientSecret, err := db.CreateClient(ctx, store.NewClient{Name: "c", Scopes: []string{store.ScopeKBRead}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	access, _, err := db.IssueAccessToken(ctx, c, nil, 0, local, admin)
	if err != nil {
		t.Fatal(err)
	}
	hookURL := "https://hooks.example.com/in?key=SecretHookKey" + strings.Repeat("Q", 8)
	_, hookSecret, err := db.CreateWebhook(ctx, store.NewWebhook{URL: hookURL, Events: []string{store.EventTicketCreated}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"token": token, "client secret": clientSecret, "access token": access,
		"webhook secret": hookSecret, "webhook secret key": strings.TrimPrefix(hookSecret, "whsec_"), "webhook url": hookURL}
	dir := filepath.Dir(db.Path())
	for _, phase := range []string{"open", "closed"} {
		if phase == "closed" {
			db.Close()
		}
		all := folderBytes(t, dir)
		for what, s := range secrets {
			if bytes.Contains(all, []byte(s)) {
				t.Errorf("%s: the %s is in the data folder in the clear", phase, what)
			}
		}
		if !bytes.Contains(all, []byte(c.ClientID)) {
			t.Errorf("%s: the public client id is not found: the scan sees nothing", phase)
		}
	}
}
