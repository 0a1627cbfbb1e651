package monitor

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

// handedOff starts a conversation for customer (0: an anonymous visitor)
// with a question, and hands it off with a deadline in three minutes.
func (f *fixture) handedOff(visitor string, customer int64) store.Conversation {
	f.t.Helper()
	ctx := context.Background()
	hash := sha256.Sum256([]byte(visitor))
	c, err := f.db.StartConversation(ctx, hash[:], customer, "v1", "", store.SystemActor)
	if err != nil {
		f.t.Fatal(err)
	}
	question := store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: "My grinder   makes a noise\nat fine settings", Outcome: store.ChatOutcomeUnsure}
	if _, err := f.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{question}, store.SystemActor); err != nil {
		f.t.Fatal(err)
	}
	c, _, err = f.db.HandOffConversation(ctx, c.ID, f.now().Add(3*time.Minute), nil, store.SystemActor)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// TestSweepChats: a hand-off nobody took in time is settled by the sweep:
// an anonymous visitor is told once how to get an answer by email, a
// verified customer's chat becomes a ticket and they get a mail; old
// transcripts are deleted.
func TestSweepChats(t *testing.T) {
	f := newFixture(t, Options{ChatRetention: 24 * time.Hour})
	ctx := context.Background()
	issued, err := f.db.IssueCode(ctx, store.CodeRequest{Email: "carol@example.com"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	carol, err := f.db.CheckCode(ctx, store.CodeCheck{Email: "carol@example.com", Code: issued.Code}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	anon := f.handedOff("anonymous", 0)
	verified := f.handedOff("carol", carol.ID)

	f.mon.SweepChats(ctx)
	if c, err := f.db.GetConversation(ctx, anon.ID); err != nil || c.TimeoutNotified || c.Status != store.ChatStatusWaiting {
		t.Fatalf("before the deadline: %+v, %v", c, err)
	}
	f.advance(3*time.Minute + time.Second)
	f.mon.SweepChats(ctx)
	f.mon.SweepChats(ctx)

	t.Run("the visitor is told once", func(t *testing.T) {
		msgs, err := f.db.ListChatMessages(ctx, anon.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, m := range msgs {
			if strings.Contains(m.Body, "Nobody from our team is free") {
				told++
			}
		}
		if told != 1 {
			t.Errorf("told %d times, want once", told)
		}
	})
	t.Run("the customer's chat became a ticket", func(t *testing.T) {
		c, err := f.db.GetConversation(ctx, verified.ID)
		if err != nil || c.TicketID == 0 {
			t.Fatalf("conversation %+v, %v", c, err)
		}
		ts, err := f.db.ListTickets(ctx, store.TicketFilter{CustomerID: carol.ID})
		if err != nil || len(ts) != 1 || ts[0].Subject != "Chat: My grinder makes a noise at fine settings" {
			t.Fatalf("tickets %+v, %v", ts, err)
		}
		msgs := f.mail.take()
		if len(msgs) != 1 || msgs[0].To != "carol@example.com" || msgs[0].Kind != "ticket_received" || strings.Contains(msgs[0].Text, "grinder") {
			t.Errorf("mail %+v: want one content-free confirmation to Carol", msgs)
		}
	})
	t.Run("old transcripts are deleted", func(t *testing.T) {
		f.advance(25 * time.Hour)
		f.mon.SweepChats(ctx)
		if _, err := f.db.GetConversation(ctx, anon.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the old conversation: %v, want it gone", err)
		}
	})
}
