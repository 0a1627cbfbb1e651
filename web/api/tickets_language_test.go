package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"safedesk/store"
)

func TestTicketLanguage(t *testing.T) {
	a := newTestAPI(t)
	tok := a.token(store.ScopeTicketsRead, store.ScopeTicketsWrite)

	bad := a.api("POST", "/api/v1/tickets", tok, `{"email":"ana@example.com","subject":"s","body":"b","language":"pt"}`)
	var e struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(bad.body), &e); err != nil || bad.status != http.StatusUnprocessableEntity || e.Error.Code != "invalid" || e.Error.Fields["language"] == "" {
		t.Fatalf("an unknown language: %d %s, want 422 naming the language field", bad.status, bad.body)
	}

	if err := a.db.SetKBLanguage(t.Context(), "nl", store.SystemActor); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"email":"ana@example.com","subject":"s","body":"b","language":"es"}`, "es"},
		{`{"email":"ana@example.com","subject":"s","body":"b"}`, "nl"}, // the site's
	} {
		created := a.api("POST", "/api/v1/tickets", tok, tc.body)
		got := created.json(t)
		if created.status != http.StatusCreated || got["language"] != tc.want {
			t.Fatalf("%s: %d language %v, want %s", tc.body, created.status, got["language"], tc.want)
		}
		id := int64(got["id"].(float64))
		if read := a.api("GET", "/api/v1/tickets/"+strconv.FormatInt(id, 10), tok, "").json(t); read["language"] != tc.want {
			t.Errorf("GET: language %v, want %s", read["language"], tc.want)
		}
		if stored, err := a.db.GetTicket(t.Context(), id); err != nil || stored.Lang != tc.want {
			t.Errorf("stored language %q (%v), want %s", stored.Lang, err, tc.want)
		}
	}
}
