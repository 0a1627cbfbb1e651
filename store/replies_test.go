package store_test

import (
	"errors"
	"strings"
	"testing"

	"safedesk/store"
)

func TestSavedReplies(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	r, err := db.SaveReply(ctx, store.SavedReply{Title: "Refund", Body: "Hello {{ customer.first_name }}, about #{{ticket.id}}: done.\n{{agent.name}}", Status: "solved"}, staffActor)
	if err != nil {
		t.Fatal(err)
	}
	got := store.FillReply(r.Body, store.ReplyValues{CustomerFirstName: "<b>Ada</b>", TicketID: 42, AgentName: "Sam"})
	if want := "Hello <b>Ada</b>, about #42: done.\nSam"; got != want {
		t.Errorf("filled %q, want %q (values stay text)", got, want)
	}

	for _, tt := range []struct {
		name, body, field, says string
	}{
		{"unknown placeholder", "Dear {{customer.email}}", "body", "{{customer.first_name}}, {{ticket.id}}, {{agent.name}}"},
		{"unclosed placeholder", "Dear {{customer.first_name", "body", "not closed"},
		{"empty", "  ", "body", "Enter"},
	} {
		var verr *store.ValidationError
		_, err := db.SaveReply(ctx, store.SavedReply{Title: tt.name, Body: tt.body}, staffActor)
		if !errors.As(err, &verr) || !strings.Contains(verr.Fields[tt.field], tt.says) {
			t.Errorf("%s: got %v, want %s saying %q", tt.name, err, tt.field, tt.says)
		}
	}
	var verr *store.ValidationError
	if _, err := db.SaveReply(ctx, store.SavedReply{Title: "Refund", Body: "Again"}, staffActor); !errors.As(err, &verr) || verr.Fields["title"] == "" {
		t.Errorf("a second reply with the title: %v", err)
	}
	if _, err := db.SaveReply(ctx, store.SavedReply{Title: "Odd", Body: "x", Status: "archived"}, staffActor); !errors.As(err, &verr) || verr.Fields["status"] == "" {
		t.Errorf("unknown status: %v", err)
	}
	r.Title = "Refund done"
	if _, err := db.SaveReply(ctx, r, staffActor); err != nil {
		t.Fatal(err)
	}
	list, err := db.ListReplies(ctx)
	if err != nil || len(list) != 1 || list[0].Title != "Refund done" || list[0].Status != "solved" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := db.DeleteReply(ctx, r.ID, staffActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetReply(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted reply: %v", err)
	}
	if err := db.DeleteReply(ctx, r.ID, staffActor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted twice: %v", err)
	}
}
