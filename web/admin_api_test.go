package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/api/apitest"
)

var secretInPage = regexp.MustCompile(`data-testid="secret">(sd[a-z]+_[0-9A-Za-z]+)<`)

func TestAdminAPIPage(t *testing.T) {
	env := newAPIServer(t)
	ctx := context.Background()
	owner, dev := env.owner()

	t.Run("every route needs tokens:manage", func(t *testing.T) {
		for _, role := range []security.Role{security.RoleAgent, security.RoleKBEditor, security.RoleAuditor} {
			c, _, _ := env.member(role, string(role)+"@api.example")
			for _, rt := range staffRoutes(env.srv, "/admin/api") {
				method, path, _ := strings.Cut(rt.pattern, " ")
				path = strings.ReplaceAll(path, "{id}", "1")
				req, _ := http.NewRequest(method, env.http.URL+path, strings.NewReader(""))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if got := c.do(req); got.status != http.StatusForbidden {
					t.Errorf("%s as %s: %d, want 403", rt.pattern, role, got.status)
				}
			}
		}
	})

	env.clock.advance(6 * time.Minute)
	owner.get("/admin/tickets") // activity: only the step-up is stale
	t.Run("viewing needs a fresh passkey", func(t *testing.T) {
		got := owner.get("/admin/api")
		if got.status != http.StatusUnauthorized || !strings.Contains(got.body, `data-passkey="stepup"`) {
			t.Fatalf("stale step-up: %d", got.status)
		}
		form := url.Values{"name": {"Sneaky"}, "scope": {"kb:read"}}
		if got := owner.post("/admin/api/tokens", form); got.status != http.StatusUnauthorized {
			t.Fatalf("create without step-up: %d", got.status)
		}
		if toks, _ := env.db.ListTokens(ctx); len(toks) != 0 {
			t.Fatal("a token was made without step-up")
		}
	})
	env.stepUp(owner, dev)

	var token string
	t.Run("create a token, shown once", func(t *testing.T) {
		got := owner.post("/admin/api/tokens", url.Values{"name": {"CRM sync"}, "scope": {"tickets:read", "kb:read"}, "ttl": {"720h"}, "allow_from": {"127.0.0.1"}})
		m := secretInPage.FindStringSubmatch(got.body)
		if got.status != 200 || m == nil || got.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d %q\n%s", got.status, got.header.Get("Cache-Control"), got.body)
		}
		token = m[1]
		if resp := env.api("GET", "/api/v1/tickets", token, ""); resp.status != 200 {
			t.Errorf("the new token: %d", resp.status)
		}
		page := owner.get("/admin/api")
		if strings.Contains(page.body, token) || !strings.Contains(page.body, "CRM sync") || !strings.Contains(page.body, "from 127.0.0.1") {
			t.Errorf("the list shows the secret, or not the token and its last use")
		}
		entries, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "token.created"})
		if len(entries) != 1 || entries[0].Actor.Type != store.ActorStaff {
			t.Errorf("audit %+v", entries)
		}
	})
	t.Run("invalid forms keep what was typed", func(t *testing.T) {
		got := owner.post("/admin/api/tokens", url.Values{"name": {"Bad"}, "scope": {"root:all"}, "allow_from": {"not an address"}})
		if got.status != 422 || !strings.Contains(got.body, `data-testid="scopes-error"`) || !strings.Contains(got.body, `data-testid="allow_from-error"`) || !strings.Contains(got.body, `value="Bad"`) {
			t.Errorf("invalid: %d\n%s", got.status, got.body)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		toks, _ := env.db.ListTokens(ctx)
		if got := owner.post("/admin/api/tokens/"+itoa(toks[0].ID)+"/revoke", nil); got.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", got.status)
		}
		if resp := env.api("GET", "/api/v1/tickets", token, ""); resp.status != 401 {
			t.Errorf("revoked token: %d", resp.status)
		}
	})
	t.Run("create a client", func(t *testing.T) {
		got := owner.post("/admin/api/clients", url.Values{"name": {"Shop"}, "scope": {"tickets:write"}})
		id := regexp.MustCompile(`data-testid="client-id">(sdc_[0-9A-Za-z]+)<`).FindStringSubmatch(got.body)
		secret := secretInPage.FindStringSubmatch(got.body)
		if got.status != 200 || id == nil || secret == nil {
			t.Fatalf("create client: %d\n%s", got.status, got.body)
		}
		resp := env.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, id[1], secret[1])
		if resp.status != 200 {
			t.Errorf("grant with the new client: %d %s", resp.status, resp.body)
		}
	})
	t.Run("webhook delivery log", func(t *testing.T) {
		h, _, _ := env.db.CreateWebhook(ctx, store.NewWebhook{URL: "https://" + apitest.PublicHost + "/log", Events: []string{store.EventTicketCreated}}, testAdmin)
		got := owner.get("/admin/api/webhooks/" + itoa(h.ID))
		if got.status != 200 || !strings.Contains(got.body, `data-testid="delivery-log"`) {
			t.Errorf("log page: %d", got.status)
		}
		if got := owner.post("/admin/api/webhooks/"+itoa(h.ID)+"/disable", nil); got.status != http.StatusSeeOther {
			t.Errorf("disable: %d", got.status)
		}
		if w, _ := env.db.GetWebhook(ctx, h.ID); w.Active {
			t.Errorf("still active")
		}
	})
}
