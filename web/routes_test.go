package web

import (
	"slices"
	"strings"
	"testing"

	"safedesk/web/api"
)

// TestRouteTableListsTheAPI: the API rows of the route table are exactly
// the API's own routes (api.Routes), with the same scopes, so that a
// reader of web/routes.go sees every route the site answers.
func TestRouteTableListsTheAPI(t *testing.T) {
	env := newTestServer(t)
	var rows []api.Route
	for _, rt := range env.srv.routeTable() {
		if rt.access == apiToken && strings.Contains(rt.pattern, " ") {
			rows = append(rows, api.Route{Pattern: rt.pattern, Scope: rt.scope})
		}
	}
	want := api.Routes()
	for _, r := range want {
		if !slices.Contains(rows, r) {
			t.Errorf("%s (scope %q) is an API route missing from the table, or listed with another scope", r.Pattern, r.Scope)
		}
	}
	for _, r := range rows {
		if !slices.Contains(want, r) {
			t.Errorf("%s (scope %q) is in the table but not an API route with that scope", r.Pattern, r.Scope)
		}
	}
}
