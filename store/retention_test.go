package store_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

const day = 24 * time.Hour

var policy = store.Retention{ResolvedTickets: 365 * day, SecurityEvents: 90 * day}

// startChat opens a conversation with one visitor message; customerID 0 is
// an anonymous visitor.
func startChat(t *testing.T, db *store.DB, customerID int64, text string) store.Conversation {
	t.Helper()
	h := sha256.Sum256([]byte(rand.Text()))
	c, err := db.StartConversation(t.Context(), h[:], customerID, "chat-consent-v1", "", customerActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddChatMessages(t.Context(), c.ID, []store.NewChatMessage{{Author: store.ChatAuthorVisitor, Body: text}}, customerActor); err != nil {
		t.Fatal(err)
	}
	return c
}

func securityEvent(t *testing.T, db *store.DB, at time.Time) {
	t.Helper()
	if err := db.RecordSecurityEvent(t.Context(), store.SecurityEvent{At: at, Kind: "test.event", ClientIP: "203.0.113.9", Actor: "visitor:-"}); err != nil {
		t.Fatal(err)
	}
}

func TestApplyRetention(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	t0 := clk.Now()

	// Due at t0 + 366 days.
	old := createTicket(t, db, "old@example.com", "Old and closed")
	setStatus(t, db, old.ID, "closed")
	openT := createTicket(t, db, "open@example.com", "Still open")
	// A customer whose tickets are gone but who still has a conversation
	// keeps their record: the chat's own retention applies to it.
	chatter := createTicket(t, db, "chatter@example.com", "Closed, but chatting")
	setStatus(t, db, chatter.ID, "closed")
	chat := startChat(t, db, chatter.CustomerID, "a chat of a customer")
	securityEvent(t, db, t0)
	if err := db.Sessions().Commit("expired-token", []byte("x"), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	issueCode(t, db, "code@example.com")

	// Not yet due then.
	clk.Advance(340 * day)
	recent := createTicket(t, db, "recent@example.com", "Recently closed")
	setStatus(t, db, recent.ID, "solved")
	db.Writer().Exec("UPDATE tickets SET updated_at = ? WHERE id = ?", clk.Now().UnixNano(), recent.ID)
	securityEvent(t, db, clk.Now().Add(-40*day))
	clk.Advance(26 * day)
	if err := db.Sessions().Commit("live-token", []byte("y"), clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	issueCode(t, db, "fresh@example.com")

	keys := countRows(t, db, "keys")
	rep, err := db.ApplyRetention(ctx, policy, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	want := store.RetentionReport{Tickets: 2, Customers: 1, SecurityEvents: 1, Sessions: 1, Codes: 1}
	if rep != want {
		t.Fatalf("deleted %+v\nwant    %+v", rep, want)
	}

	t.Run("the due ticket and its customer are gone, with their key", func(t *testing.T) {
		if _, err := db.GetTicket(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old ticket: %v", err)
		}
		if _, err := db.GetCustomer(ctx, old.CustomerID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("customer with nothing left: %v", err)
		}
		if n := countRows(t, db, "keys"); n != keys-1 {
			t.Errorf("keys %d → %d: the idle customer's key was not destroyed", keys, n)
		}
	})
	t.Run("everything not yet due stays", func(t *testing.T) {
		for _, id := range []int64{openT.ID, recent.ID} {
			if _, err := db.GetTicket(ctx, id); err != nil {
				t.Errorf("ticket %d: %v", id, err)
			}
		}
		if _, err := db.GetConversation(ctx, chat.ID); err != nil {
			t.Errorf("chat: %v", err)
		}
		if _, err := db.GetCustomer(ctx, chatter.CustomerID); err != nil {
			t.Errorf("customer with a chat left: %v", err)
		}
		if _, ok, _ := db.Sessions().Find("live-token"); !ok {
			t.Error("the live session went")
		}
		if n := countRows(t, db, "security_events"); n != 1 {
			t.Errorf("security events: %d left, want 1", n)
		}
		if n := countRows(t, db, "verification_codes"); n != 1 {
			t.Errorf("codes: %d left, want the fresh one", n)
		}
	})
	t.Run("the run is audited with its counts", func(t *testing.T) {
		es, err := db.ListAudit(ctx, store.AuditFilter{Action: "retention.applied"})
		if err != nil || len(es) != 1 {
			t.Fatalf("audit %+v %v", es, err)
		}
		d, _ := es[0].Details["deleted"].(map[string]any)
		if d["tickets"] != 2.0 || d["security_events"] != 1.0 || d["customers"] != 1.0 {
			t.Errorf("audit details %s", es[0].RawDetails)
		}
		if p, _ := es[0].Details["periods"].(map[string]any); p["resolved_tickets"] != "365d" {
			t.Errorf("periods %s", es[0].RawDetails)
		}
	})
	t.Run("a second run deletes nothing and is audited too", func(t *testing.T) {
		rep, err := db.ApplyRetention(ctx, policy, store.SystemActor)
		if err != nil || rep.Total() != 0 {
			t.Fatalf("%+v %v", rep, err)
		}
		if es, _ := db.ListAudit(ctx, store.AuditFilter{Action: "retention.applied"}); len(es) != 2 {
			t.Errorf("%d audit entries, want 2", len(es))
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestRetentionZeroKeeps(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	tk := createTicket(t, db, "keep@example.com", "Kept forever")
	setStatus(t, db, tk.ID, "closed")
	securityEvent(t, db, clk.Now())
	clk.Advance(10 * 365 * day)
	rep, err := db.ApplyRetention(ctx, store.Retention{}, store.SystemActor)
	if err != nil || rep.Total() != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := db.GetTicket(ctx, tk.ID); err != nil {
		t.Error(err)
	}
	if n := countRows(t, db, "security_events"); n != 1 {
		t.Errorf("security events: %d, want 1", n)
	}
}

func TestErasureEndsSessions(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	tk := createTicket(t, db, "ends@example.com", "Sessions end")
	other := createTicket(t, db, "stays@example.com", "Session stays")
	for token, id := range map[string]int64{"phone": tk.CustomerID, "laptop": tk.CustomerID, "other": other.CustomerID} {
		if err := db.Sessions().Commit(token, []byte(token), clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.BindCustomerSession(ctx, token, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EraseCustomer(ctx, tk.CustomerID, admin); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"phone", "laptop"} {
		if _, ok, _ := db.Sessions().Find(token); ok {
			t.Errorf("session %q of the erased customer lives on", token)
		}
	}
	if _, ok, _ := db.Sessions().Find("other"); !ok {
		t.Error("another customer's session ended")
	}
	if err := db.Sessions().Delete("other"); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, "customer_sessions"); n != 0 {
		t.Errorf("%d session bindings left after their sessions ended", n)
	}
}

func TestExportSubject(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	mine := ownTicket(t, db, "me@example.com", "My subject")
	theirs := ownTicket(t, db, "them@example.com", "THEIR-SUBJECT-MARKER")
	createTicket(t, db, "me@example.com", "FILED-BY-SOMEONE-ELSE") // unconfirmed: not theirs until proven
	if _, err := db.AddMessage(ctx, theirs.ID, store.NewMessage{AuthorType: "customer", AuthorID: theirs.CustomerID, Body: "THEIR-BODY-MARKER"}, customerActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMessage(ctx, mine.ID, store.NewMessage{AuthorType: "staff", AuthorID: 3, Body: "A staff reply"}, editor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMessage(ctx, mine.ID, store.NewMessage{AuthorType: "staff", AuthorID: 3, Internal: true, Body: "INTERNAL-NOTE-MARKER"}, editor); err != nil {
		t.Fatal(err)
	}
	startChat(t, db, mine.CustomerID, "my chat message")
	startChat(t, db, theirs.CustomerID, "THEIR-CHAT-MARKER")
	startChat(t, db, 0, "ANONYMOUS-CHAT-MARKER")

	x, err := db.ExportSubject(ctx, mine.CustomerID, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(x)
	t.Run("holds their profile, tickets, messages, chats and consents", func(t *testing.T) {
		if x.Customer.Email != "me@example.com" || len(x.Tickets) != 1 || len(x.Tickets[0].Messages) != 2 {
			t.Fatalf("export %+v", x)
		}
		if len(x.Chats) != 1 || x.Chats[0].Messages[0].Body != "my chat message" || x.Chats[0].Conversation.ConsentVersion != "chat-consent-v1" {
			t.Fatalf("chats %+v", x.Chats)
		}
		var byMe bool
		for _, r := range x.Records {
			if r.Action == "ticket.created" && r.By == "you" && r.ClientIP == db.ClientPseudonym("203.0.113.7") {
				byMe = true
			}
			if r.By != "you" && r.ClientIP != "" {
				t.Errorf("record %+v shows someone else's network address", r)
			}
		}
		if !byMe {
			t.Errorf("records lack their own ticket.created: %+v", x.Records)
		}
	})
	t.Run("holds nothing of anyone else, and no internal note", func(t *testing.T) {
		for _, m := range []string{"them@example.com", "THEIR-", "ANONYMOUS-CHAT-MARKER", "INTERNAL-NOTE-MARKER", "FILED-BY-SOMEONE-ELSE"} {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("export holds %q", m)
			}
		}
	})
	t.Run("internal notes when the owner allows them", func(t *testing.T) {
		x, err := db.ExportSubject(ctx, mine.CustomerID, true)
		if err != nil || len(x.Tickets[0].Messages) != 3 || !x.Tickets[0].Messages[2].Internal {
			t.Fatalf("%+v %v", x.Tickets, err)
		}
	})
}

func TestErasureRegister(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	tk := createTicket(t, db, "register@example.com", "Erase me")
	now := clk.Now()
	bad := []struct {
		name  string
		req   store.ErasureRequest
		field string
	}{
		{"unknown channel", store.ErasureRequest{Channel: "pigeon", ReceivedAt: now}, "channel"},
		{"no date", store.ErasureRequest{Channel: store.ChannelEmail}, "received"},
		{"future date", store.ErasureRequest{Channel: store.ChannelEmail, ReceivedAt: now.Add(48 * time.Hour)}, "received"},
		{"address in the reference", store.ErasureRequest{Channel: store.ChannelEmail, ReceivedAt: now, Reference: "from register@example.com"}, "reference"},
		{"phone in the reference", store.ErasureRequest{Channel: store.ChannelPhone, ReceivedAt: now, Reference: "call from +44 20 7946 0958"}, "reference"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var v *store.ValidationError
			if err := tt.req.Validate(now); !errors.As(err, &v) || v.Fields[tt.field] == "" {
				t.Fatalf("got %v, want a message for %s", err, tt.field)
			}
		})
	}
	req := store.ErasureRequest{Channel: store.ChannelLetter, ReceivedAt: now.Add(-72 * time.Hour), Reference: "letter 2026-014"}
	if err := req.Validate(now); err != nil {
		t.Fatal(err)
	}
	tomb, err := db.EraseCustomer(ctx, tk.CustomerID, admin)
	if err != nil {
		t.Fatal(err)
	}
	req.Tombstone = tomb
	if _, err := db.RecordErasureRequest(ctx, req, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordErasureRequest(ctx, req, admin); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same erasure recorded twice: %v", err)
	}
	req.Tombstone = "tomb_NOSUCH"
	if _, err := db.RecordErasureRequest(ctx, req, admin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown tombstone: %v", err)
	}
	list, err := db.ListErasureRequests(ctx, 10)
	if err != nil || len(list) != 1 || list[0].Tombstone != tomb || list[0].HandledBy != "staff:1" || list[0].Reference != "letter 2026-014" {
		t.Fatalf("register %+v %v", list, err)
	}
	if es, _ := db.ListAudit(ctx, store.AuditFilter{Action: "customer.erasure_recorded"}); len(es) != 1 || strings.Contains(string(es[0].RawDetails), "@") {
		t.Fatalf("audit %+v", es)
	}
}
