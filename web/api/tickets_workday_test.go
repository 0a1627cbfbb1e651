package api

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"safedesk/store"
)

// TestTicketTagsAndDue: PATCH sets a ticket's tags (folded, replacing the
// old ones), GET filters by tag and sorts by due time, and every ticket
// carries due_at and tags.
func TestTicketTagsAndDue(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	if _, err := a.db.SetDueTargets(ctx, store.DueTargets{"normal": {FirstResponse: 8 * time.Hour}, "urgent": {FirstResponse: time.Hour}}, testAdmin); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		ids = append(ids, strconv.FormatInt(a.fixture().ticket, 10))
	}
	write, read := a.token(store.ScopeTicketsWrite), a.token(store.ScopeTicketsRead)

	r := a.api("PATCH", "/api/v1/tickets/"+ids[1], write, `{"priority":"urgent","tags":["VIP customer","billing"]}`)
	if r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	var got struct {
		Tags  []string   `json:"tags"`
		DueAt *time.Time `json:"due_at"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || !slices.Equal(got.Tags, []string{"billing", "vip-customer"}) || got.DueAt == nil {
		t.Fatalf("patched ticket: %+v %v\n%s", got, err, r.body)
	}
	if r := a.api("PATCH", "/api/v1/tickets/"+ids[1], write, `{"tags":["<b>"]}`); r.status != 422 || r.errorCode(t) != "invalid" {
		t.Errorf("a bad tag: %d %s", r.status, r.body)
	}
	if r := a.api("PATCH", "/api/v1/tickets/"+ids[0], write, `{"tags":["billing"]}`); r.status != 200 {
		t.Fatalf("tag another: %d", r.status)
	}

	list := func(query string) []string {
		t.Helper()
		r := a.api("GET", "/api/v1/tickets"+query, read, "")
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", query, r.status, r.body)
		}
		var page struct {
			Tickets []struct {
				ID int64 `json:"id"`
			} `json:"tickets"`
		}
		if err := json.Unmarshal([]byte(r.body), &page); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range page.Tickets {
			out = append(out, strconv.FormatInt(tk.ID, 10))
		}
		return out
	}
	if got, want := list("?tag=billing"), []string{ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("tag=billing: %v, want %v", got, want)
	}
	if got, want := list("?sort=due&limit=2"), []string{ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("sort=due: %v, want %v (the urgent one first)", got, want)
	}
	if r := a.api("GET", "/api/v1/tickets?sort=oldest", read, ""); r.status != 422 {
		t.Errorf("sort=oldest: %d", r.status)
	}
}
