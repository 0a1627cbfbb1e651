package web

import (
	"net/http"
	"net/url"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/notify"
)

// availableAgent enrols an agent, signed in on the client it returns, who
// marks themself available for chats.
func (e *testEnv) availableAgent() (*client, store.Staff) {
	e.t.Helper()
	c, _, st := e.member(security.RoleAgent, "agent-"+randText()+"@northwind.example")
	if r := c.post("/admin/me/available", url.Values{"available": {"1"}, "next": {"/admin/chats"}}); r.status != http.StatusSeeOther {
		e.t.Fatalf("mark available: %d %s", r.status, r.body)
	}
	return c, st
}

// notifier is the staff-notification service over the test server's store
// and outbox, as main wires it.
func (e *testEnv) notifier() *notify.Service {
	return notify.New(e.db, e.outbox, e.srv.log, notify.Options{Site: e.srv.site})
}
