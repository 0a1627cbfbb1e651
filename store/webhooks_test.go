package store_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

func TestWebhookQueue(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	before := createTicket(t, db, "early@example.com", "Before the webhook")
	h, secret, err := db.CreateWebhook(ctx, store.NewWebhook{URL: "https://hooks.example.com/a", Events: []string{store.EventTicketCreated, store.EventMessageCreated}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	tk := createTicket(t, db, "later@example.com", "After the webhook")
	if _, _, err := db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{Status: ptr("pending")}, admin); err != nil {
		t.Fatal(err) // ticket.updated: not subscribed
	}

	n, more, err := db.FanOutEvents(ctx)
	if err != nil || more {
		t.Fatal(n, more, err)
	}
	if n != 1 {
		t.Fatalf("queued %d deliveries, want 1 (only ticket.created after the webhook)", n)
	}
	ds, err := db.ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("claimed %d: %v", len(ds), err)
	}
	d := ds[0]
	var payload struct {
		Type string
		Data map[string]any
	}
	json.Unmarshal(d.Payload, &payload)
	if payload.Type != store.EventTicketCreated || payload.Data["ticket_id"] != float64(tk.ID) || d.Secret != secret || d.URL != h.URL {
		t.Fatalf("delivery %+v payload %s", d, d.Payload)
	}
	if strings.Contains(string(d.Payload), "later@example.com") || strings.Contains(string(d.Payload), "After the webhook") {
		t.Errorf("payload carries personal data: %s", d.Payload)
	}
	_ = before

	t.Run("a claimed delivery is leased", func(t *testing.T) {
		if again, _ := db.ClaimDeliveries(ctx, 10, time.Minute); len(again) != 0 {
			t.Errorf("claimed again during the lease")
		}
		clk.Advance(time.Minute)
		again, _ := db.ClaimDeliveries(ctx, 10, time.Minute)
		if len(again) != 1 || again[0].MsgID != d.MsgID {
			t.Fatalf("after the lease: %+v", again)
		}
	})
	t.Run("failures retry then disable", func(t *testing.T) {
		res, err := db.FinishDelivery(ctx, d.ID, store.DeliveryAttempt{StatusCode: 500, Error: "HTTP 500"}, time.Second, 2)
		if err != nil || res.Final || res.Disabled {
			t.Fatal(res, err)
		}
		clk.Advance(time.Second)
		ds, _ := db.ClaimDeliveries(ctx, 10, time.Minute)
		if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].MsgID != d.MsgID {
			t.Fatalf("retry: %+v", ds)
		}
		res, err = db.FinishDelivery(ctx, d.ID, store.DeliveryAttempt{Error: "timed out"}, -1, 2)
		if err != nil || !res.Final || !res.Disabled {
			t.Fatal(res, err)
		}
		got, _ := db.GetWebhook(ctx, h.ID)
		if got.Active || got.DisabledAt.IsZero() || got.Failures != 2 {
			t.Errorf("webhook after 2 failures: %+v", got)
		}
		log, _ := db.ListDeliveryLog(ctx, h.ID, 0, 10)
		if len(log) != 2 || log[0].Error != "timed out" || log[1].StatusCode != 500 || log[0].State != "failed" {
			t.Errorf("log %+v", log)
		}
		entries, _ := db.ListAudit(ctx, store.AuditFilter{Action: "webhook.disabled"})
		events, _ := db.ListSecurityEvents(ctx, store.EventFilter{Kind: "webhook.disabled"})
		if len(entries) != 1 || len(events) != 1 || events[0].Severity != store.SeverityCritical {
			t.Errorf("audit %+v, security events %+v", entries, events)
		}
	})
	t.Run("disabled webhooks get nothing; re-enabling resets", func(t *testing.T) {
		createTicket(t, db, "third@example.com", "While disabled")
		if n, _, _ := db.FanOutEvents(ctx); n != 0 {
			t.Errorf("queued %d for a disabled webhook", n)
		}
		got, err := db.UpdateWebhook(ctx, h.ID, store.WebhookUpdate{Active: ptr(true)}, admin)
		if err != nil || !got.Active || got.Failures != 0 {
			t.Fatal(got, err)
		}
	})
	t.Run("invalid webhooks", func(t *testing.T) {
		for _, w := range []store.NewWebhook{
			{URL: "ftp://x.example/", Events: []string{store.EventTicketCreated}},
			{URL: "https://x.example/", Events: nil},
			{URL: "https://x.example/", Events: []string{"ticket.deleted"}},
		} {
			if _, _, err := db.CreateWebhook(ctx, w, admin); wantValidation(err) != nil {
				t.Errorf("%+v: %v", w, err)
			}
		}
	})
	t.Run("delete removes queue and log", func(t *testing.T) {
		if err := db.DeleteWebhook(ctx, h.ID, admin); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetWebhook(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("got %v", err)
		}
		if n := countRows(t, db, "webhook_attempts"); n != 0 {
			t.Errorf("%d attempts left", n)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestUpdateTicket(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	tk := createTicket(t, db, "a@example.com", "Printer")
	got, changed, err := db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{Status: ptr("solved"), Priority: ptr("high")}, admin)
	if err != nil || got.Status != "solved" || got.Priority != "high" || strings.Join(changed, ",") != "status,priority" {
		t.Fatal(got, changed, err)
	}
	if _, changed, _ := db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{Status: ptr("solved")}, admin); len(changed) != 0 {
		t.Errorf("no change reported as %v", changed)
	}
	for _, u := range []store.TicketUpdate{{Status: ptr("deleted")}, {Priority: ptr("")}, {AssigneeID: ptr(int64(999))}} {
		if _, _, err := db.UpdateTicket(ctx, tk.ID, u, admin); wantValidation(err) != nil {
			t.Errorf("%+v: %v", u, err)
		}
	}
	if _, _, err := db.UpdateTicket(ctx, 999, store.TicketUpdate{Status: ptr("open")}, admin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing ticket: %v", err)
	}
}

func TestSearchTickets(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	for i := range 30 {
		subject := "Order question"
		if i%3 == 0 {
			subject = "Broken GRINDER lid"
		}
		createTicket(t, db, "s"+string(rune('a'+i%5))+"@example.com", subject)
	}
	var all []store.Ticket
	cursor := int64(0)
	for {
		ts, next, err := db.SearchTickets(ctx, store.TicketFilter{AllCustomers: true, Limit: 4, Before: cursor}, "grinder")
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ts...)
		if next == 0 {
			break
		}
		cursor = next
	}
	if len(all) != 10 {
		t.Errorf("found %d grinder tickets over pages, want 10", len(all))
	}
	byEmail, _, err := db.SearchTicketsByEmail(ctx, store.TicketFilter{}, "SA@example.com", admin)
	if err != nil || len(byEmail) != 6 {
		t.Errorf("by email: %d, %v", len(byEmail), err)
	}
	for _, q := range []string{`%`, `_`, `' OR 1=1 --`, `"grinder" NEAR lid`, `*`, `\`} {
		ts, _, err := db.SearchTickets(ctx, store.TicketFilter{AllCustomers: true}, q)
		if err != nil || len(ts) != 0 {
			t.Errorf("%q: %d results, %v", q, len(ts), err)
		}
	}
}

func TestEraseCustomer(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	keep := createTicket(t, db, "keep@example.com", "Stays")
	gone := ownTicket(t, db, "gone@example.com", "Goes")
	if _, err := db.AddMessage(ctx, gone.ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Internal: true, Body: "note"}, admin); err != nil {
		t.Fatal(err)
	}
	x, err := db.ExportSubject(ctx, gone.CustomerID, false)
	if err != nil || len(x.Tickets) != 1 || len(x.Tickets[0].Messages) != 1 || x.Customer.Email != "gone@example.com" {
		t.Fatalf("export %+v, %v", x, err)
	}
	if _, _, err := db.CreateWebhook(ctx, store.NewWebhook{URL: "https://hooks.example.com/e", Events: []string{store.EventCustomerErased}}, admin); err != nil {
		t.Fatal(err)
	}
	keysBefore := countRows(t, db, "keys")
	tomb, err := db.EraseCustomer(ctx, gone.CustomerID, admin)
	if err != nil || !strings.HasPrefix(tomb, "tomb_") {
		t.Fatal(tomb, err)
	}
	if n := countRows(t, db, "keys"); n != keysBefore-1 {
		t.Errorf("keys %d → %d: the data key was not destroyed", keysBefore, n)
	}
	if _, err := db.GetCustomer(ctx, gone.CustomerID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("customer: %v", err)
	}
	if _, err := db.GetTicket(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ticket: %v", err)
	}
	if _, err := db.GetTicket(ctx, keep.ID); err != nil {
		t.Errorf("another customer's ticket: %v", err)
	}
	if _, err := db.EraseCustomer(ctx, gone.CustomerID, admin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second erase: %v", err)
	}
	entries, _ := db.ListAudit(ctx, store.AuditFilter{Action: "customer.erased"})
	if len(entries) != 1 || entries[0].Details["tombstone"] != tomb {
		t.Fatalf("audit %+v", entries)
	}
	all, _ := db.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	for _, e := range all {
		if b, _ := json.Marshal(e); strings.Contains(string(b), "gone@example.com") {
			t.Errorf("audit entry %d holds the address", e.Seq)
		}
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Errorf("audit chain: %v", err)
	}
	if n, _, err := db.FanOutEvents(ctx); err != nil || n != 1 {
		t.Fatalf("customer.erased deliveries: %d, %v", n, err)
	}
	ds, _ := db.ClaimDeliveries(ctx, 10, time.Minute)
	if len(ds) != 1 || !strings.Contains(string(ds[0].Payload), `"customer_id":`+strconv.FormatInt(gone.CustomerID, 10)) ||
		strings.Contains(string(ds[0].Payload), "gone@") {
		t.Errorf("customer.erased payload %s", ds[0].Payload)
	}
	again := createTicket(t, db, "gone@example.com", "Back again")
	if again.CustomerID == gone.CustomerID {
		t.Errorf("the same address came back with the erased id")
	}
}

func TestSecurityAlertEvents(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	db.RecordSecurityEvent(ctx, store.SecurityEvent{Kind: "old.critical", Severity: store.SeverityCritical})
	h, _, err := db.CreateWebhook(ctx, store.NewWebhook{URL: "https://hooks.example.com/s", Events: []string{store.EventSecurityAlert}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	db.RecordSecurityEvent(ctx, store.SecurityEvent{Kind: "probe.seen", Severity: store.SeverityWarning, ClientIP: "198.51.100.9"})
	db.RecordSecurityEvent(ctx, store.SecurityEvent{Kind: "client.blocked", Severity: store.SeverityCritical, ClientIP: "198.51.100.9",
		Details: map[string]any{"level": 2}})
	if err := db.RecordSecurityAlert(ctx, "token_address_refused", "token:7", map[string]any{"token_id": 7}, store.Actor{Type: store.ActorToken, ID: "7", ClientIP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	n, _, err := db.FanOutEvents(ctx)
	if err != nil || n != 2 {
		t.Fatalf("queued %d (%v), want the two critical events after the webhook was made", n, err)
	}
	ds, _ := db.ClaimDeliveries(ctx, 10, time.Minute)
	var kinds []string
	for _, d := range ds {
		var p struct {
			Type string
			Data struct {
				Kind     string `json:"kind"`
				ClientIP string `json:"client_ip"`
			}
		}
		json.Unmarshal(d.Payload, &p)
		if p.Type != store.EventSecurityAlert || d.WebhookID != h.ID {
			t.Errorf("delivery %s", d.Payload)
		}
		kinds = append(kinds, p.Data.Kind+"@"+p.Data.ClientIP)
	}
	if strings.Join(kinds, ",") != "client.blocked@198.51.100.9,token_address_refused@192.0.2.1" {
		t.Errorf("alerts %v", kinds)
	}
}
