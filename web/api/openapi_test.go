package api

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"safedesk/store"
)

type openAPIDocument struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Responses       map[string]any `json:"responses"`
		Schemas         map[string]any `json:"schemas"`
		SecuritySchemes struct {
			OAuth2 struct {
				Flows struct {
					ClientCredentials struct {
						Scopes map[string]string `json:"scopes"`
					} `json:"clientCredentials"`
				} `json:"flows"`
			} `json:"oauth2"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOperation struct {
	Security  []map[string][]string     `json:"security"`
	Responses map[string]map[string]any `json:"responses"`
}

// TestOpenAPIMatchesRoutes holds the document and the route table together:
// every registered route is documented with its scope and its errors, and
// every documented operation is served by the real handler.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := newTestAPI(t)
	got := a.api("GET", "/api/v1/openapi.json", "", "")
	if got.status != 200 || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("document: %d", got.status)
	}
	var doc openAPIDocument
	if err := json.Unmarshal([]byte(got.body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	registered := map[string]string{} // route → scope
	for _, rt := range Routes() {
		registered[rt.Pattern] = rt.Scope
	}
	for _, public := range []string{"GET /api/v1/openapi.json", "POST /oauth/token"} {
		if scope, ok := registered[public]; !ok || scope != "" {
			t.Errorf("%s is not listed as a public route", public)
		}
	}

	for route, scope := range registered {
		op, ok := documented[route]
		if !ok {
			t.Errorf("%s is served but not documented", route)
			continue
		}
		if scope == "" {
			continue
		}
		var scopes []string
		for _, req := range op.Security {
			for _, s := range req {
				scopes = append(scopes, s...)
			}
		}
		if len(op.Security) != 2 || len(slices.Compact(scopes)) != 1 || scopes[0] != scope {
			t.Errorf("%s: documented security %v, want bearer and oauth2 with %s", route, op.Security, scope)
		}
		for _, status := range []string{"401", "403", "429", "500"} {
			if op.Responses[status] == nil {
				t.Errorf("%s: error %s not documented", route, status)
			}
		}
		method, _, _ := strings.Cut(route, " ")
		if method == "POST" || method == "PUT" || method == "PATCH" {
			for _, status := range []string{"400", "413", "415", "422"} {
				if op.Responses[status] == nil {
					t.Errorf("%s: error %s not documented", route, status)
				}
			}
		}
	}
	for route := range documented {
		if _, ok := registered[route]; !ok {
			t.Errorf("%s is documented but not served", route)
		}
	}

	// Every $ref resolves.
	for _, ref := range refsIn(t, got.body) {
		kind, name, _ := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
		var found bool
		switch kind {
		case "responses":
			_, found = doc.Components.Responses[name]
		case "schemas":
			_, found = doc.Components.Schemas[name]
		default:
			found = strings.Contains(got.body, `"`+name+`": {`)
		}
		if !found {
			t.Errorf("unresolved $ref %s", ref)
		}
	}
	var scopes []string
	for s := range doc.Components.SecuritySchemes.OAuth2.Flows.ClientCredentials.Scopes {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	want := slices.Clone(store.APIScopes)
	sort.Strings(want)
	if !slices.Equal(scopes, want) {
		t.Errorf("documented scopes %v, want %v", scopes, want)
	}

	// The mux really serves each documented operation: without a token an
	// API route says 401, not the fallback's 404 or 405.
	f := a.fixture()
	for route := range documented {
		method, path, _ := strings.Cut(route, " ")
		if !strings.HasPrefix(path, "/api/v1/") || path == "/api/v1/openapi.json" {
			continue
		}
		if got := a.api(method, f.path(path), "", ""); got.status != 401 {
			t.Errorf("%s without a token: %d, want 401", route, got.status)
		}
	}
}

func refsIn(t *testing.T, doc string) []string {
	var out []string
	for _, part := range strings.Split(doc, `"$ref": "`)[1:] {
		ref, _, _ := strings.Cut(part, `"`)
		out = append(out, ref)
	}
	if len(out) < 20 {
		t.Fatalf("only %d $refs found: is the document indented as expected?", len(out))
	}
	return out
}
