package monitor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"safedesk/security"
)

// TestAlerts: critical events are mailed to the active owners and admins,
// once per kind and client an hour, at most three mails at once and then
// one every ten minutes; what the limit holds back goes in the next mail.
func TestAlerts(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	f.staff(security.RoleOwner, "olive@northwind.example")
	f.staff(security.RoleAdmin, "adam@northwind.example")
	f.staff(security.RoleAgent, "agnes@northwind.example")
	recipients := func(t *testing.T, want int) []string {
		t.Helper()
		f.mon.Minute(ctx)
		var texts []string
		got := map[string]bool{}
		for _, m := range f.mail.take() {
			if m.Kind != "security_alert" {
				t.Errorf("kind %q", m.Kind)
			}
			got[m.To] = true
			texts = append(texts, m.Subject+"\n"+m.Text)
		}
		if len(texts) != want || (want > 0 && (!got["olive@northwind.example"] || !got["adam@northwind.example"])) {
			t.Fatalf("mailed %v, want %d mails to the owner and the admin", got, want)
		}
		return texts
	}

	t.Run("a block is mailed to owners and admins", func(t *testing.T) {
		f.critical("abuse.blocked", "203.0.113.1")
		texts := recipients(t, 2)
		for _, want := range []string{"[Northwind] Security alert: client blocked from 203.0.113.1", "https://help.northwind.example/admin/security",
			"not mailed again for 1 hour"} {
			if !strings.Contains(texts[0], want) {
				t.Errorf("the mail lacks %q:\n%s", want, texts[0])
			}
		}
	})
	t.Run("the same alert is not repeated within the hour", func(t *testing.T) {
		f.critical("abuse.blocked", "203.0.113.1")
		recipients(t, 0)
	})
	t.Run("three mails at once, then the limit holds them", func(t *testing.T) {
		f.critical("abuse.blocked", "203.0.113.2")
		recipients(t, 2)
		f.critical("abuse.blocked", "203.0.113.3")
		recipients(t, 2)
		f.critical("abuse.blocked", "203.0.113.4")
		recipients(t, 0)
	})
	t.Run("the held alert goes in the next mail", func(t *testing.T) {
		f.advance(10*time.Minute + time.Second)
		if texts := recipients(t, 2); !strings.Contains(texts[0], "203.0.113.4") {
			t.Errorf("the held alert is not in the mail:\n%s", texts[0])
		}
	})
	t.Run("after an hour the same alert is mailed again", func(t *testing.T) {
		f.advance(AlertDedup)
		f.critical("abuse.blocked", "203.0.113.1")
		recipients(t, 2)
	})
	t.Run("a restart does not mail old events again", func(t *testing.T) {
		f.advance(AlertDedup)
		f.critical("abuse.blocked", "203.0.113.5")
		f.mon = f.restart()
		recipients(t, 0)
	})
}

// TestAlertNow: a sweep started by AlertNow mails at once, in the
// background; Wait waits for it.
func TestAlertNow(t *testing.T) {
	f := newFixture(t, Options{})
	f.staff(security.RoleOwner, "olive@northwind.example")
	f.critical("passkey.sign_count_regressed", "198.51.100.7")
	f.mon.AlertNow()
	f.mon.Wait()
	msgs := f.mail.take()
	if len(msgs) != 1 || msgs[0].To != "olive@northwind.example" || !strings.Contains(msgs[0].Subject, "possibly cloned passkey") {
		t.Fatalf("mail %+v", msgs)
	}
}

// TestAlertDedupBounded: blocks from more clients than the dedup memory
// holds within the hour keep it at its cap, and a client pushed out of it
// is alerted on again rather than forgotten.
func TestAlertDedupBounded(t *testing.T) {
	f := newFixture(t, Options{})
	f.staff(security.RoleOwner, "olive@northwind.example")
	ctx := context.Background()
	// The LRU evicts within shards (security.LRU): four times its cap of
	// new clients overflows every shard, the first client's included,
	// whatever the seed spreads where.
	for i := range 4 * alertDedupEntries {
		f.critical("abuse.blocked", fmt.Sprintf("198.18.%d.%d", i/256, i%256))
	}
	f.mon.Minute(ctx)
	if n := f.mon.alerts.sent.Len(); n > alertDedupEntries {
		t.Errorf("the alert dedup remembers %d clients, want at most %d", n, alertDedupEntries)
	}
	f.mail.take()
	f.advance(10*time.Minute + time.Second)   // the mail limit allows one more
	f.critical("abuse.blocked", "198.18.0.0") // the first, long pushed out
	f.mon.Minute(ctx)
	if msgs := f.mail.take(); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "198.18.0.0") {
		t.Errorf("mail %+v: want the pushed-out client alerted again", msgs)
	}
}
