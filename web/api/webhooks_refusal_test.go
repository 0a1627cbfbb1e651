package api

import (
	"strings"
	"testing"

	"safedesk/store"
)

// TestWebhookRefusalNamesNoInternalAddress: refusing a name that resolves
// to a private address does not tell the token holder where it points
// (review S12); the server logs the refusal with the detail.
func TestWebhookRefusalNamesNoInternalAddress(t *testing.T) {
	a := newTestAPI(t)
	tok := a.token(store.ScopeWebhooksWrite)
	got := a.api("POST", "/api/v1/webhooks", tok, `{"url":"https://db.internal.test/hook","events":["ticket.created"]}`)
	if got.status != 422 || strings.Contains(got.body, "10.20.30.40") || !strings.Contains(got.body, "resolves to an address that is private") {
		t.Fatalf("got %d %s", got.status, got.body)
	}
	if !a.logs.logged("webhook url refused") {
		t.Error("the refusal is not in the server's log")
	}
}
