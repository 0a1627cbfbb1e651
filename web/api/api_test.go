package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"safedesk/store"
	"safedesk/store/storetest"
)

// apiSamples is a request that succeeds for every API route, with the
// status it answers. TestAPIScopeMatrix fails for a route missing here.
var apiSamples = map[string]struct {
	body   string
	status int
}{
	"GET /api/v1/tickets":                             {"", 200},
	"POST /api/v1/tickets":                            {`{"email":"new.person@example.com","name":"New Person","subject":"Hello","body":"Hi there."}`, 201},
	"GET /api/v1/tickets/{id}":                        {"", 200},
	"PATCH /api/v1/tickets/{id}":                      {`{"status":"pending","priority":"high"}`, 200},
	"POST /api/v1/tickets/{id}/messages":              {`{"body":"We are on it.","internal":false}`, 201},
	"GET /api/v1/tickets/{id}/attachments/{aid}":      {"", 200}, // the file, not JSON
	"GET /api/v1/customers/{id}":                      {"", 200},
	"GET /api/v1/customers/{id}/export":               {"", 200},
	"DELETE /api/v1/customers/{id}":                   {"", 204},
	"GET /api/v1/kb/articles":                         {"", 200},
	"POST /api/v1/kb/articles":                        {`{"slug":"brand-new-article","title":"New","body":"Text."}`, 201},
	"GET /api/v1/kb/articles/{slug}":                  {"", 200},
	"PUT /api/v1/kb/articles/{slug}":                  {`{"title":"Changed","body":"New text.","published":false}`, 200},
	"DELETE /api/v1/kb/articles/{slug}":               {"", 204},
	"GET /api/v1/kb/articles/{slug}/examples":         {"", 200},
	"POST /api/v1/kb/articles/{slug}/examples":        {`{"question":"is this a sample"}`, 201},
	"DELETE /api/v1/kb/articles/{slug}/examples/{id}": {"", 204},
	"GET /api/v1/audit":                               {"", 200},
	"GET /api/v1/security/events":                     {"", 200},
	"GET /api/v1/webhooks":                            {"", 200},
	"POST /api/v1/webhooks":                           {`{"url":"https://receiver.example.com/in","events":["ticket.created","security.alert"]}`, 201},
	"GET /api/v1/webhooks/{id}":                       {"", 200},
	"PATCH /api/v1/webhooks/{id}":                     {`{"description":"CRM sync"}`, 200},
	"DELETE /api/v1/webhooks/{id}":                    {"", 204},
	"GET /api/v1/webhooks/{id}/deliveries":            {"", 200},
}

// TestAPIScopeMatrix calls every route with a token of every scope: only
// the route's own scope is let through (and then succeeds); every other is
// refused with 403 and changes nothing.
func TestAPIScopeMatrix(t *testing.T) {
	a := newTestAPI(t)
	tokens := map[string]string{}
	for _, sc := range store.APIScopes {
		tokens[sc] = a.token(sc)
	}
	for _, rt := range Routes() {
		if rt.Scope == "" {
			continue // public: TestOpenAPIMatchesRoutes
		}
		sample, ok := apiSamples[rt.Pattern]
		if !ok {
			t.Errorf("%s: no sample request in apiSamples", rt.Pattern)
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		for _, sc := range store.APIScopes {
			t.Run(rt.Pattern+" with "+sc, func(t *testing.T) {
				f := a.fixture()
				body := strings.ReplaceAll(sample.body, "brand-new-article", "new-"+randText())
				got := a.api(method, f.path(path), tokens[sc], body)
				if sc == rt.Scope {
					if got.status != sample.status {
						t.Fatalf("allowed: got %d, want %d: %s", got.status, sample.status, got.body)
					}
					if got.status != 204 && !strings.Contains(rt.Pattern, "/attachments/") {
						got.json(t)
					}
					return
				}
				if got.status != http.StatusForbidden || got.errorCode(t) != "insufficient_scope" {
					t.Fatalf("refused: got %d %s, want 403 insufficient_scope", got.status, got.body)
				}
				if !strings.Contains(got.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
					t.Errorf("WWW-Authenticate %q", got.header.Get("WWW-Authenticate"))
				}
			})
		}
	}
	// A refused write changed nothing: every fixture ticket is still open.
	ts, _ := a.db.ListTickets(context.Background(), store.TicketFilter{AllCustomers: true, Status: "pending", Limit: 200})
	if len(ts) != 1 {
		t.Errorf("%d tickets pending, want exactly the one the allowed PATCH changed", len(ts))
	}
}

// TestAPIErrors produces every error status of the API and checks its
// shape.
func TestAPIErrors(t *testing.T) {
	a := newTestAPI(t, func(c *Config) { c.Burst, c.Rate = 1000, 1000 })
	ctx := context.Background()
	tok := a.token(store.APIScopes...)
	f := a.fixture()
	_, revoked, _ := a.db.CreateToken(ctx, store.NewToken{Name: "gone", Scopes: []string{store.ScopeTicketsRead}}, testAdmin)
	toks, _ := a.db.ListTokens(ctx)
	a.db.RevokeToken(ctx, toks[0].ID, testAdmin)
	_, expiring, _ := a.db.CreateToken(ctx, store.NewToken{Name: "soon", Scopes: []string{store.ScopeTicketsRead}, TTL: time.Minute}, testAdmin)
	tooBig := `{"email":"a@example.com","subject":"x","body":"` + strings.Repeat("a", 1<<20) + `"}`
	tid := strconv.FormatInt(f.ticket, 10)

	tests := []struct {
		name, method, path, token, body string
		header                          []string
		wantStatus                      int
		wantCode                        string
		wantField                       string
	}{
		{"malformed JSON", "POST", "/api/v1/tickets", tok, `{"email":`, nil, 400, "invalid_json", ""},
		{"not an object", "POST", "/api/v1/tickets", tok, `[1,2]`, nil, 400, "invalid_json", ""},
		{"unknown field", "POST", "/api/v1/tickets", tok, `{"email":"a@example.com","subject":"s","body":"b","admin":true}`, nil, 400, "unknown_field", ""},
		{"field in another case", "POST", "/api/v1/tickets", tok, `{"EMAIL":"a@example.com","subject":"s","body":"b"}`, nil, 400, "unknown_field", ""},
		{"field twice", "POST", "/api/v1/tickets", tok, `{"email":"a@example.com","email":"b@example.com","subject":"s","body":"b"}`, nil, 400, "invalid_json", ""},
		{"trailing data", "POST", "/api/v1/tickets", tok, `{"email":"a@example.com","subject":"s","body":"b"} {}`, nil, 400, "invalid_json", ""},
		{"wrong type", "PATCH", "/api/v1/tickets/" + tid, tok, `{"status":7}`, nil, 400, "invalid_json", ""},
		{"empty body", "POST", "/api/v1/tickets/" + tid + "/messages", tok, "", nil, 400, "invalid_json", ""},
		{"no token", "GET", "/api/v1/tickets", "", "", nil, 401, "unauthorized", ""},
		{"basic instead of bearer", "GET", "/api/v1/tickets", "", "", []string{"Authorization", "Basic YTpi"}, 401, "unauthorized", ""},
		{"garbage token", "GET", "/api/v1/tickets", "sdk_garbage", "", nil, 401, "invalid_token", ""},
		{"revoked token", "GET", "/api/v1/tickets", revoked, "", nil, 401, "invalid_token", ""},
		{"missing scope", "GET", "/api/v1/audit", a.token(store.ScopeKBRead), "", nil, 403, "insufficient_scope", ""},
		{"missing ticket", "GET", "/api/v1/tickets/999999", tok, "", nil, 404, "not_found", ""},
		{"non-numeric id", "GET", "/api/v1/tickets/abc", tok, "", nil, 404, "not_found", ""},
		{"unknown path", "GET", "/api/v1/nothing", tok, "", nil, 404, "not_found", ""},
		{"wrong method", "DELETE", "/api/v1/tickets", tok, "", nil, 405, "method_not_allowed", ""},
		{"duplicate slug", "POST", "/api/v1/kb/articles", tok, `{"slug":"` + f.slug + `","title":"T","body":"B"}`, nil, 409, "conflict", ""},
		{"over 1 MiB", "POST", "/api/v1/tickets", tok, tooBig, nil, 413, "payload_too_large", ""},
		{"not JSON", "POST", "/api/v1/tickets", tok, `email=a`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type", ""},
		{"invalid email", "POST", "/api/v1/tickets", tok, `{"email":"not-an-address","subject":"s","body":"b"}`, nil, 422, "invalid", "email"},
		{"invalid status", "PATCH", "/api/v1/tickets/" + tid, tok, `{"status":"deleted"}`, nil, 422, "invalid", "status"},
		{"unknown assignee", "PATCH", "/api/v1/tickets/" + tid, tok, `{"assignee_id":424242}`, nil, 422, "invalid", "assignee_id"},
		{"bad filter", "GET", "/api/v1/tickets?status=everything", tok, "", nil, 422, "invalid", "status"},
		{"bad cursor", "GET", "/api/v1/tickets?cursor=-4", tok, "", nil, 422, "invalid", "cursor"},
		{"bad limit", "GET", "/api/v1/audit?limit=5000", tok, "", nil, 422, "invalid", "limit"},
		{"bad webhook event", "POST", "/api/v1/webhooks", tok, `{"url":"https://receiver.example.com/","events":["ticket.deleted"]}`, nil, 422, "invalid", "events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := a.api(tc.method, tc.path, tc.token, tc.body, tc.header...)
			if got.status != tc.wantStatus {
				t.Fatalf("got %d, want %d: %s", got.status, tc.wantStatus, got.body)
			}
			if code := got.errorCode(t); code != tc.wantCode {
				t.Errorf("code %q, want %q", code, tc.wantCode)
			}
			if got.header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", got.header.Get("Content-Type"))
			}
			if tc.wantField != "" {
				fields, _ := got.json(t)["error"].(map[string]any)["fields"].(map[string]any)
				if fields[tc.wantField] == nil || !strings.Contains(got.body, tc.wantField) {
					t.Errorf("the field %s is not named: %s", tc.wantField, got.body)
				}
			}
			switch tc.wantStatus {
			case 401:
				if !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", got.header.Get("WWW-Authenticate"))
				}
			case 405:
				if got.header.Get("Allow") != "GET, POST" {
					t.Errorf("Allow %q", got.header.Get("Allow"))
				}
			}
		})
	}

	t.Run("expired token", func(t *testing.T) {
		a.advance(time.Minute)
		got := a.api("GET", "/api/v1/tickets", expiring, "")
		if got.status != 401 || got.errorCode(t) != "invalid_token" || !strings.Contains(got.header.Get("WWW-Authenticate"), "expired") {
			t.Errorf("got %d %s %q", got.status, got.body, got.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("failed authentications go to the hook", func(t *testing.T) {
		// Recording them as security events is web's (TestAPIMounted).
		kinds, _ := a.counts()
		if want := []string{"api.token_invalid", "api.token_invalid", "api.token_expired"}; !slices.Equal(kinds, want) {
			t.Errorf("AuthFailed got %q, want %q", kinds, want)
		}
	})
}

func TestAPIRateLimit(t *testing.T) {
	a := newTestAPI(t, func(c *Config) { c.Burst, c.Rate = 3, 0.5 })
	tok, other := a.token(store.ScopeKBRead), a.token(store.ScopeKBRead)
	for i := range 3 {
		got := a.api("GET", "/api/v1/kb/articles", tok, "")
		if got.status != 200 {
			t.Fatalf("request %d: %d", i, got.status)
		}
		if got.header.Get("RateLimit-Policy") != `"caller";q=3;w=6` || got.header.Get("RateLimit") != `"caller";r=`+strconv.Itoa(2-i)+`;t=`+strconv.Itoa(2*(i+1)) {
			t.Errorf("request %d: RateLimit %q, policy %q", i, got.header.Get("RateLimit"), got.header.Get("RateLimit-Policy"))
		}
	}
	got := a.api("GET", "/api/v1/kb/articles", tok, "")
	if got.status != 429 || got.errorCode(t) != "rate_limited" || got.header.Get("Retry-After") != "2" {
		t.Fatalf("4th request: %d %s Retry-After %q", got.status, got.body, got.header.Get("Retry-After"))
	}
	if got := a.api("GET", "/api/v1/kb/articles", other, ""); got.status != 200 {
		t.Errorf("another token is limited too: %d", got.status)
	}
}

func TestAPIFailedAuthThrottled(t *testing.T) {
	a := newTestAPI(t)
	var last response
	for range failureLimit.Burst + 1 {
		last = a.api("GET", "/api/v1/tickets", "sdk_wrongwrongwrong", "")
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures: %d", failureLimit.Burst+1, last.status)
	}
	// Even a valid token is refused from this address until it cools down.
	if got := a.api("GET", "/api/v1/tickets", a.token(store.ScopeTicketsRead), ""); got.status != 429 {
		t.Errorf("valid token from a throttled address: %d", got.status)
	}
}

func TestAPIInternalErrorsLeakNothing(t *testing.T) {
	a := newTestAPI(t)
	tok := a.token(store.ScopeTicketsRead)
	f := a.fixture()
	// Break the schema under the server: reading tickets fails inside SQLite.
	if _, err := storetest.Raw(t, a.db).Exec("ALTER TABLE tickets RENAME COLUMN subject TO subject_gone"); err != nil {
		t.Fatal(err)
	}
	got := a.api("GET", "/api/v1/tickets/"+strconv.FormatInt(f.ticket, 10), tok, "")
	if got.status != 500 || got.errorCode(t) != "internal" {
		t.Fatalf("got %d %s", got.status, got.body)
	}
	for _, leak := range []string{"subject", "sqlite", "SQL", "store:", "no such column"} {
		if strings.Contains(got.body, leak) {
			t.Errorf("the 500 answer leaks %q: %s", leak, got.body)
		}
	}
	if !strings.Contains(got.body, testRequestID) {
		t.Errorf("the answer does not quote the request id: %s", got.body)
	}
	if !a.logs.logged("api error") {
		t.Errorf("the fault was not logged")
	}
}

func TestAPITicketFlow(t *testing.T) {
	a := newTestAPI(t)
	rw := a.token(store.ScopeTicketsRead, store.ScopeTicketsWrite)
	got := a.api("POST", "/api/v1/tickets", rw, `{"email":"Ann.Lee@Example.com","name":"Ann Lee","subject":"Kettle leaks","body":"It drips."}`)
	if got.status != 201 {
		t.Fatalf("create: %d %s", got.status, got.body)
	}
	tk := got.json(t)
	id := strconv.FormatInt(int64(tk["id"].(float64)), 10)
	// A ticket filed by staff through the API is confirmed: the customer sees it.
	if got.header.Get("Location") != "/api/v1/tickets/"+id || tk["status"] != "open" || tk["assignee_id"] != nil || tk["confirmed"] != true || tk["channel"] != "api" {
		t.Errorf("created %v at %q", tk, got.header.Get("Location"))
	}
	if got := a.api("POST", "/api/v1/tickets/"+id+"/messages", rw, `{"body":"Internal: check batch.","internal":true}`); got.status != 201 || got.json(t)["internal"] != true {
		t.Fatalf("note: %d %s", got.status, got.body)
	}
	if got := a.api("POST", "/api/v1/tickets/"+id+"/messages", rw, `{"body":"We are on it."}`); got.status != 201 {
		t.Fatalf("reply: %d %s", got.status, got.body)
	}
	a.mu.Lock()
	replied := a.replied
	a.mu.Unlock()
	if want := []string{id + ":We are on it."}; !slices.Equal(replied, want) {
		t.Errorf("customer told of %q, want only the reply %q", replied, want)
	}
	got = a.api("PATCH", "/api/v1/tickets/"+id, rw, `{"priority":"urgent","assignee_id":null}`)
	if got.status != 200 || got.json(t)["priority"] != "urgent" {
		t.Fatalf("patch: %d %s", got.status, got.body)
	}
	got = a.api("GET", "/api/v1/tickets/"+id, rw, "")
	msgs, _ := got.json(t)["messages"].([]any)
	if got.status != 200 || len(msgs) != 3 || got.json(t)["channel"] != "api" || msgs[0].(map[string]any)["channel"] != "api" {
		t.Fatalf("get: %d %s", got.status, got.body)
	}
	for i := range 5 {
		a.api("POST", "/api/v1/tickets", rw, `{"email":"b@example.com","subject":"Other `+strconv.Itoa(i)+`","body":"x"}`)
	}
	t.Run("search and paging", func(t *testing.T) {
		if got := a.api("GET", "/api/v1/tickets?q=KETTLE", rw, ""); len(got.json(t)["tickets"].([]any)) != 1 {
			t.Errorf("q=KETTLE: %s", got.body)
		}
		// An address tells who a customer is: that needs customers:read.
		if got := a.api("GET", "/api/v1/tickets?q=ann.lee%40example.com", rw, ""); got.status != http.StatusForbidden || got.errorCode(t) != "insufficient_scope" {
			t.Errorf("q=email without customers:read: %d %s", got.status, got.body)
		}
		reveal := a.token("tickets:read", "customers:read")
		if got := a.api("GET", "/api/v1/tickets?q=ann.lee%40example.com", reveal, ""); len(got.json(t)["tickets"].([]any)) != 1 {
			t.Errorf("q=email: %s", got.body)
		}
		seen := map[float64]bool{}
		path := "/api/v1/tickets?limit=2"
		for pages := 0; path != ""; pages++ {
			page := a.api("GET", path, rw, "").json(t)
			for _, x := range page["tickets"].([]any) {
				seen[x.(map[string]any)["id"].(float64)] = true
			}
			path = ""
			if c, ok := page["next_cursor"].(string); ok {
				path = "/api/v1/tickets?limit=2&cursor=" + c
			}
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 6 {
			t.Errorf("paged through %d tickets, want 6", len(seen))
		}
	})
	t.Run("the audit log names the token", func(t *testing.T) {
		entries, _ := a.db.ListAudit(context.Background(), store.AuditFilter{Action: "ticket.updated"})
		if len(entries) != 1 || entries[0].Actor.Type != store.ActorToken || entries[0].Actor.ClientIP != a.db.ClientPseudonym("127.0.0.1") {
			t.Errorf("audit %+v", entries)
		}
	})
}

func TestAPICustomerExportAndErase(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	f, other := a.fixture(), a.fixture()
	a.db.AddMessage(ctx, f.ticket, store.NewMessage{AuthorType: "staff", AuthorID: 1, Internal: true, Body: "SECRET-NOTE"}, testAdmin)
	tok := a.token(store.ScopeCustomersRead, store.ScopeCustomersErase, store.ScopeTicketsRead)
	cid := strconv.FormatInt(f.customer, 10)

	got := a.api("GET", "/api/v1/customers/"+cid+"/export", tok, "")
	if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q", got.status, got.header.Get("Content-Disposition"))
	}
	if strings.Contains(got.body, "SECRET-NOTE") || strings.Contains(got.body, `"id":`+strconv.FormatInt(other.ticket, 10)+`,`) {
		t.Errorf("the export holds internal notes or someone else's ticket: %s", got.body)
	}
	if !strings.Contains(got.body, "Fixture body.") {
		t.Errorf("the export lacks the customer's message: %s", got.body)
	}
	if got := a.api("DELETE", "/api/v1/customers/"+cid, tok, ""); got.status != 204 {
		t.Fatalf("erase: %d %s", got.status, got.body)
	}
	for _, p := range []string{"/api/v1/customers/" + cid, "/api/v1/tickets/" + strconv.FormatInt(f.ticket, 10), "/api/v1/customers/" + cid + "/export"} {
		if got := a.api("GET", p, tok, ""); got.status != 404 {
			t.Errorf("%s after erasure: %d", p, got.status)
		}
	}
	if got := a.api("DELETE", "/api/v1/customers/"+cid, tok, ""); got.status != 404 {
		t.Errorf("second erasure: %d", got.status)
	}
	if got := a.api("GET", "/api/v1/customers/"+strconv.FormatInt(other.customer, 10), tok, ""); got.status != 200 || !strings.Contains(got.body, "@example.com") {
		t.Errorf("another customer: %d", got.status)
	}
	for action, want := range map[string]int{"customer.exported": 1, "customer.erased": 1, "customer.pii_revealed": 1} {
		if entries, _ := a.db.ListAudit(ctx, store.AuditFilter{Action: action}); len(entries) != want || entries[0].Actor.Type != store.ActorToken {
			t.Errorf("audit %s: %+v", action, entries)
		}
	}
}

func TestTokenAllowListAndLastUse(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	fenced, _ := store.ParseAllowFrom("192.0.2.0/24")
	tk, secret, _ := a.db.CreateToken(ctx, store.NewToken{Name: "office", Scopes: []string{store.ScopeKBRead}, AllowFrom: fenced}, testAdmin)
	for range 2 {
		if got := a.api("GET", "/api/v1/kb/articles", secret, ""); got.status != 401 || got.errorCode(t) != "invalid_token" {
			t.Fatalf("from outside the allow-list: %d %s", got.status, got.body)
		}
	}
	alerts, _ := a.db.ListAudit(ctx, store.AuditFilter{Action: "security.alert"})
	if len(alerts) != 1 || alerts[0].Details["kind"] != "token_address_refused" {
		t.Errorf("want one security alert (deduplicated), got %+v", alerts)
	}
	if kinds, kicked := a.counts(); kicked != 1 || !slices.Equal(kinds, []string{"api.token_address_refused", "api.token_address_refused"}) {
		t.Errorf("hooks: %d alerts, failures %q; want 1 alert and two refusals", kicked, kinds)
	}
	open := a.token(store.ScopeKBRead)
	a.api("GET", "/api/v1/kb/articles", open, "")
	toks, _ := a.db.ListTokens(ctx)
	for _, x := range toks {
		switch x.ID {
		case tk.ID:
			if !x.LastUsedAt.IsZero() {
				t.Errorf("a refused token was marked used")
			}
		default:
			if x.LastUsedAt.IsZero() || x.LastUsedIP != "127.0.0.1" {
				t.Errorf("last use not recorded: %+v", x)
			}
		}
	}
}
