package store_test

import (
	"errors"
	"testing"

	"safedesk/store"
)

func TestChatLanguageGoesToItsTicket(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	if _, err := db.StartConversation(ctx, visitor("xx"), 0, "v1", "xx", visitorActor); err == nil {
		t.Fatal("a conversation in an unknown language was started")
	}
	c, err := db.StartConversation(ctx, visitor("de"), 0, "v1", "de", visitorActor)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.GetConversation(ctx, c.ID); err != nil || got.Lang != "de" {
		t.Fatalf("conversation language %q (%v), want de", got.Lang, err)
	}
	earlier, err := db.CreateTicket(ctx, store.NewTicket{Email: "ute@example.org", Subject: "earlier", Body: "b"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LinkConversation(ctx, c.ID, earlier.CustomerID, visitorActor); err != nil {
		t.Fatal(err)
	}
	say(t, db, c.ID, store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: "Mein Wasserkocher leckt"})
	tk, _, err := db.ConvertConversationToTicket(ctx, c.ID, "Chat: Wasserkocher", nil, visitorActor)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.GetTicket(ctx, tk.ID); err != nil || got.Lang != "de" {
		t.Fatalf("ticket from the chat: language %q (%v), want the chat's (de)", got.Lang, err)
	}
}

func TestRenewChatConsent(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	c := openChat(t, db, "renew")
	got, err := db.RenewChatConsent(ctx, c.ID, "chat-test-2", visitorActor)
	if err != nil || got.ConsentVersion != "chat-test-2" {
		t.Fatalf("renewed: %q (%v)", got.ConsentVersion, err)
	}
	if stored, err := db.GetConversation(ctx, c.ID); err != nil || stored.ConsentVersion != "chat-test-2" {
		t.Fatalf("stored consent version %q (%v)", stored.ConsentVersion, err)
	}
	entries, err := db.ListAudit(ctx, store.AuditFilter{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	renewed := 0
	for _, e := range entries {
		if e.Action == "chat.consented" && e.Target == store.ChatTarget(c.ID) {
			renewed++
		}
	}
	if renewed != 2 {
		t.Fatalf("%d chat.consented entries for the conversation, want 2 (the first consent and the renewed one)", renewed)
	}
	if _, _, err := db.CloseConversation(ctx, c.ID, store.ChatClosedVisitor, nil, visitorActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RenewChatConsent(ctx, c.ID, "chat-test-3", visitorActor); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("consent renewed on a closed chat: %v, want ErrConflict", err)
	}
}

func TestSetTicketLanguage(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "ana@example.org", Subject: "s", Body: "b", Lang: "es"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	staff := store.Actor{Type: store.ActorStaff, ID: "1"}
	var verr *store.ValidationError
	if err := db.SetTicketLanguage(ctx, tk.ID, "pt", staff); !errors.As(err, &verr) {
		t.Fatalf("unknown language: %v, want a validation error", err)
	}
	if err := db.SetTicketLanguage(ctx, 99999, "fr", staff); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing ticket: %v, want ErrNotFound", err)
	}
	if err := db.SetTicketLanguage(ctx, tk.ID, "fr", staff); err != nil {
		t.Fatal(err)
	}
	if got, err := db.GetTicket(ctx, tk.ID); err != nil || got.Lang != "fr" {
		t.Fatalf("language %q (%v), want fr", got.Lang, err)
	}
	entries, err := db.ListAudit(ctx, store.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if e := entries[len(entries)-1]; e.Action != "ticket.language" || e.Target != store.TicketTarget(tk.ID) || e.Details["from"] != "es" || e.Details["to"] != "fr" {
		t.Fatalf("last audit entry %+v, want ticket.language es → fr", e)
	}
}
