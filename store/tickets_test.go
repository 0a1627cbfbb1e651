package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

var customerActor = store.Actor{Type: store.ActorVisitor, ClientIP: "203.0.113.7"}

func createTicket(t *testing.T, db *store.DB, email, subject string) store.Ticket {
	t.Helper()
	tk, err := db.CreateTicket(t.Context(), store.NewTicket{Email: email, Name: "Test Person", Subject: subject, Body: "Body of " + subject}, customerActor)
	if err != nil {
		t.Fatalf("CreateTicket(%s, %s): %v", email, subject, err)
	}
	return tk
}

// ownTicket files a ticket as the customer of email after they verified
// it, from customerActor's address: a confirmed ticket.
func ownTicket(t *testing.T, db *store.DB, email, subject string) store.Ticket {
	t.Helper()
	c, err := check(db, email, issueCode(t, db, email))
	if err != nil {
		t.Fatal(err)
	}
	me := store.Actor{Type: store.ActorCustomer, ID: strconv.FormatInt(c.ID, 10), ClientIP: customerActor.ClientIP}
	tk, err := db.CreateTicket(t.Context(), store.NewTicket{Email: email, Subject: subject, Body: "Body of " + subject}, me)
	if err != nil || !tk.Confirmed {
		t.Fatalf("CreateTicket(%s, %s) as the customer: %+v, %v", email, subject, tk, err)
	}
	return tk
}

func TestTicketConfirmation(t *testing.T) {
	ctx := t.Context()
	confirmed := func(t *testing.T, db *store.DB, id int64) bool {
		t.Helper()
		tk, err := db.GetTicket(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return tk.Confirmed
	}

	t.Run("who files decides whether a ticket starts confirmed", func(t *testing.T) {
		db, _ := newTestDB(t)
		known := ownTicket(t, db, "known@example.com", "Own")
		me := store.Actor{Type: store.ActorCustomer, ID: strconv.FormatInt(known.CustomerID, 10)}
		for _, tt := range []struct {
			name  string
			email string
			a     store.Actor
			want  bool
		}{
			{"a visitor", "known@example.com", customerActor, false},
			{"a customer for their own address", "known@example.com", me, true},
			{"a customer for another address", "other@example.com", me, false},
			{"staff", "known@example.com", editor, true},
			{"an API token", "new@example.com", store.Actor{Type: store.ActorToken, ID: "1"}, true},
		} {
			tk, err := db.CreateTicket(ctx, store.NewTicket{Email: tt.email, Subject: tt.name, Body: "B"}, tt.a)
			if err != nil || tk.Confirmed != tt.want || confirmed(t, db, tk.ID) != tt.want {
				t.Errorf("%s: got %+v, %v; want confirmed %v", tt.name, tk, err, tt.want)
			}
		}
	})

	t.Run("the code sent for a ticket confirms it, no other code does", func(t *testing.T) {
		db, _ := newTestDB(t)
		first := createTicket(t, db, "a@example.com", "First")
		second := createTicket(t, db, "a@example.com", "Second")
		receipt, err := db.IssueCode(ctx, store.CodeRequest{Email: "a@example.com", Ticket: second.ID}, customerActor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := check(db, "a@example.com", issueCode(t, db, "a@example.com")); err != nil {
			t.Fatal(err)
		}
		if confirmed(t, db, first.ID) || confirmed(t, db, second.ID) {
			t.Fatal("a code asked for at /verify confirmed a ticket someone filed")
		}
		c, err := check(db, "a@example.com", receipt.Code)
		if err != nil || c.ID != second.CustomerID {
			t.Fatalf("receipt code: %+v, %v", c, err)
		}
		if confirmed(t, db, first.ID) || !confirmed(t, db, second.ID) {
			t.Errorf("got first %v, second %v; want only the second confirmed", confirmed(t, db, first.ID), confirmed(t, db, second.ID))
		}
		es, err := db.ListAudit(ctx, store.AuditFilter{Action: "ticket.confirmed"})
		if err != nil || len(es) != 1 || es[0].Target != store.TicketTarget(second.ID) || es[0].Actor.Type != store.ActorCustomer || es[0].Details["by"] != "code" {
			t.Errorf("audit: got %+v, %v", es, err)
		}
	})

	t.Run("staff confirm a ticket once, audited", func(t *testing.T) {
		db, _ := newTestDB(t)
		tk := createTicket(t, db, "a@example.com", "Planted or not")
		if changed, err := db.ConfirmTicket(ctx, tk.ID, editor); err != nil || !changed || !confirmed(t, db, tk.ID) {
			t.Fatalf("got %v, %v; want confirmed", changed, err)
		}
		if changed, err := db.ConfirmTicket(ctx, tk.ID, editor); err != nil || changed {
			t.Errorf("again: got %v, %v; want no change", changed, err)
		}
		if _, err := db.ConfirmTicket(ctx, tk.ID+100, editor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing ticket: got %v, want ErrNotFound", err)
		}
		es, err := db.ListAudit(ctx, store.AuditFilter{Action: "ticket.confirmed"})
		if err != nil || len(es) != 1 || es[0].Actor != editor || es[0].Details["by"] != "staff" {
			t.Errorf("audit: got %+v, %v; want one entry by the editor", es, err)
		}
		got, err := db.ListTickets(ctx, store.TicketFilter{CustomerID: tk.CustomerID, Confirmed: true})
		if err != nil || len(got) != 1 {
			t.Errorf("customer's list: got %+v, %v", got, err)
		}
	})
}

func setStatus(t *testing.T, db *store.DB, id int64, status string) {
	t.Helper()
	if _, err := db.Writer().Exec("UPDATE tickets SET status = ? WHERE id = ?", status, id); err != nil {
		t.Fatal(err)
	}
}

func TestCreateTicket(t *testing.T) {
	ctx := t.Context()

	t.Run("creates a new customer, the ticket and its first message", func(t *testing.T) {
		db, clk := newTestDB(t)
		tk, err := db.CreateTicket(ctx, store.NewTicket{
			Email: "Ada.Lovelace@Example.com", Name: "  Ada Lovelace ", Subject: "  Where is my order?  ", Body: "Order 1234 has not arrived.",
		}, customerActor)
		if err != nil {
			t.Fatal(err)
		}
		if tk.ID == 0 || tk.CustomerID == 0 {
			t.Fatalf("got ids %d/%d, want both set", tk.ID, tk.CustomerID)
		}
		got, err := db.GetTicket(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := store.Ticket{ID: tk.ID, CustomerID: tk.CustomerID, Subject: "Where is my order?", Status: "open", Priority: "normal", Channel: "portal",
			CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GetTicket:\ngot  %+v\nwant %+v", got, want)
		}
		c, err := db.GetCustomer(ctx, tk.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Email != "ada.lovelace@example.com" || c.Name != "Ada Lovelace" {
			t.Errorf("customer: got %q <%s>, want %q <%s>", c.Name, c.Email, "Ada Lovelace", "ada.lovelace@example.com")
		}
		if !c.VerifiedAt.IsZero() {
			t.Errorf("customer verified at %v: typing an address proves nothing", c.VerifiedAt)
		}
		msgs, err := db.ListMessages(ctx, tk.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].Body != "Order 1234 has not arrived." || msgs[0].AuthorType != "customer" || msgs[0].AuthorID != tk.CustomerID {
			t.Errorf("messages: got %+v, want the one customer message", msgs)
		}
	})

	t.Run("a second ticket from the same address in another case finds the same customer", func(t *testing.T) {
		db, _ := newTestDB(t)
		first := createTicket(t, db, "ada@example.com", "First")
		keys := countRows(t, db, "keys")
		second, err := db.CreateTicket(ctx, store.NewTicket{Email: "  ADA@Example.COM ", Name: "Someone Else", Subject: "Second", Body: "Again."}, customerActor)
		if err != nil {
			t.Fatal(err)
		}
		if second.CustomerID != first.CustomerID {
			t.Errorf("customer: got %d, want %d", second.CustomerID, first.CustomerID)
		}
		if n := countRows(t, db, "customers"); n != 1 {
			t.Errorf("customers: got %d, want 1", n)
		}
		if n := countRows(t, db, "keys"); n != keys {
			t.Errorf("keys: got %d, want %d (no new key for a known customer)", n, keys)
		}
		c, _ := db.GetCustomer(ctx, first.CustomerID)
		if c.Name != "Test Person" {
			t.Errorf("name: got %q, want %q: an unverified writer must not rename a customer", c.Name, "Test Person")
		}
	})

	t.Run("validation names each bad field and writes nothing", func(t *testing.T) {
		db, _ := newTestDB(t)
		createTicket(t, db, "known@example.com", "Existing")
		valid := store.NewTicket{Email: "new@example.com", Name: "New", Subject: "Hello", Body: "Hi there"}
		tests := []struct {
			name   string
			modify func(*store.NewTicket)
			fields []string
		}{
			{"bad email", func(n *store.NewTicket) { n.Email = "not-an-address" }, []string{"email"}},
			{"display name in email", func(n *store.NewTicket) { n.Email = "Ada <ada@example.com>" }, []string{"email"}},
			{"empty subject", func(n *store.NewTicket) { n.Subject = "   " }, []string{"subject"}},
			{"over-long body", func(n *store.NewTicket) { n.Body = strings.Repeat("é", store.MaxBodyLen+1) }, []string{"body"}},
			{"over-long name", func(n *store.NewTicket) { n.Name = strings.Repeat("a", store.MaxNameLen+1) }, []string{"name"}},
			{"invalid UTF-8 subject", func(n *store.NewTicket) { n.Subject = "bad \xff\xfe bytes" }, []string{"subject"}},
			{"null byte in body", func(n *store.NewTicket) { n.Body = "a\x00b" }, []string{"body"}},
			{"everything wrong at once", func(n *store.NewTicket) {
				*n = store.NewTicket{Email: "", Name: "\xff", Subject: "", Body: ""}
			}, []string{"email", "name", "subject", "body"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := tableCounts(t, db)
				in := valid
				tc.modify(&in)
				_, err := db.CreateTicket(ctx, in, customerActor)
				var verr *store.ValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("got %v, want a *store.ValidationError", err)
				}
				if len(verr.Fields) != len(tc.fields) {
					t.Errorf("fields: got %v, want exactly %v", verr.Fields, tc.fields)
				}
				for _, f := range tc.fields {
					if verr.Fields[f] == "" {
						t.Errorf("field %q: got no message, want one (all: %v)", f, verr.Fields)
					}
					if !strings.Contains(err.Error(), f) {
						t.Errorf("error %q does not name %q", err, f)
					}
				}
				assertSameCounts(t, before, tableCounts(t, db))
			})
		}
	})

	t.Run("the validation error reads the same every time", func(t *testing.T) {
		db, _ := newTestDB(t)
		for range 5 {
			_, err := db.CreateTicket(ctx, store.NewTicket{}, customerActor)
			if got, want := errString(err), "store: invalid body, email, subject"; got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
	})

	t.Run("a failure in the middle of the transaction leaves nothing behind", func(t *testing.T) {
		db, _ := newTestDB(t)
		createTicket(t, db, "known@example.com", "Existing")
		// The message insert comes after the key, customer and ticket rows.
		if _, err := db.Writer().ExecContext(ctx, `CREATE TRIGGER fail_messages BEFORE INSERT ON messages
			BEGIN SELECT RAISE(ABORT, 'forced failure'); END`); err != nil {
			t.Fatal(err)
		}
		before := tableCounts(t, db)
		for _, email := range []string{"new@example.com", "known@example.com"} {
			_, err := db.CreateTicket(ctx, store.NewTicket{Email: email, Name: "N", Subject: "S", Body: "B"}, customerActor)
			if err == nil || !strings.Contains(err.Error(), "forced failure") {
				t.Errorf("%s: got %v, want the forced failure", email, err)
			}
			assertSameCounts(t, before, tableCounts(t, db))
		}
		if _, err := db.Writer().ExecContext(ctx, "DROP TRIGGER fail_messages"); err != nil {
			t.Fatal(err)
		}
		// The ids that the rolled-back rows had are handed out again, and
		// everything sealed under them still opens.
		tk := createTicket(t, db, "new@example.com", "After the failure")
		got, err := db.GetTicket(ctx, tk.ID)
		if err != nil || got.Subject != "After the failure" {
			t.Errorf("GetTicket: got %+v, %v", got, err)
		}
		c, err := db.GetCustomerByEmail(ctx, "new@example.com")
		if err != nil || c.ID != tk.CustomerID {
			t.Errorf("GetCustomerByEmail: got %+v, %v; want customer %d", c, err, tk.CustomerID)
		}
		if n, err := db.CheckKeys(ctx); err != nil || n != countRows(t, db, "keys") {
			t.Errorf("CheckKeys: got %d, %v", n, err)
		}
	})

	t.Run("a cancelled context writes nothing", func(t *testing.T) {
		db, _ := newTestDB(t)
		before := tableCounts(t, db)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := db.CreateTicket(cctx, store.NewTicket{Email: "a@example.com", Name: "A", Subject: "S", Body: "B"}, customerActor)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		assertSameCounts(t, before, tableCounts(t, db))
	})
}

func TestGetCustomerTicket(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	mine := ownTicket(t, db, "me@example.com", "Mine")
	theirs := ownTicket(t, db, "them@example.com", "Theirs")
	planted := createTicket(t, db, "me@example.com", "Planted")

	t.Run("returns the customer's own ticket", func(t *testing.T) {
		got, err := db.GetCustomerTicket(ctx, mine.CustomerID, mine.ID)
		if err != nil || got.Subject != "Mine" {
			t.Errorf("got %+v, %v; want the ticket", got, err)
		}
	})

	t.Run("another customer's ticket looks exactly like a missing one", func(t *testing.T) {
		_, errOther := db.GetCustomerTicket(ctx, mine.CustomerID, theirs.ID)
		_, errMissing := db.GetCustomerTicket(ctx, mine.CustomerID, theirs.ID+1000)
		if !errors.Is(errOther, store.ErrNotFound) || !errors.Is(errMissing, store.ErrNotFound) {
			t.Fatalf("got %v and %v, want ErrNotFound for both", errOther, errMissing)
		}
		if errOther.Error() != errMissing.Error() {
			t.Errorf("errors differ: %q vs %q", errOther, errMissing)
		}
	})

	t.Run("a ticket someone else filed under the address looks like a missing one", func(t *testing.T) {
		if planted.CustomerID != mine.CustomerID || planted.Confirmed {
			t.Fatalf("planted %+v: want customer %d's, unconfirmed", planted, mine.CustomerID)
		}
		if _, err := db.GetCustomerTicket(ctx, mine.CustomerID, planted.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})

	t.Run("a customer's list holds only their confirmed tickets", func(t *testing.T) {
		got, err := db.ListTickets(ctx, store.TicketFilter{CustomerID: mine.CustomerID, Confirmed: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != mine.ID {
			t.Errorf("got %+v, want only ticket %d", got, mine.ID)
		}
		all, err := db.ListTickets(ctx, store.TicketFilter{CustomerID: mine.CustomerID})
		if err != nil || len(all) != 2 || all[0].ID != planted.ID || all[0].Confirmed {
			t.Errorf("staff's list: got %+v, %v; want the planted ticket marked and mine", all, err)
		}
	})
}

func TestAddMessage(t *testing.T) {
	ctx := t.Context()
	staff := store.Actor{Type: store.ActorStaff, ID: "7"}

	t.Run("a customer message reopens a solved or pending ticket; staff replies do not", func(t *testing.T) {
		db, clk := newTestDB(t)
		tk := createTicket(t, db, "c@example.com", "Refund")
		tests := []struct {
			status, author, want string
		}{
			{"solved", "customer", "open"},
			{"pending", "customer", "open"},
			{"solved", "staff", "solved"},
			{"pending", "staff", "pending"},
			{"open", "customer", "open"},
		}
		for _, tc := range tests {
			setStatus(t, db, tk.ID, tc.status)
			clk.Advance(time.Minute)
			m, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: tc.author, Body: "reply"}, staff)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := db.GetTicket(ctx, tk.ID)
			if got.Status != tc.want {
				t.Errorf("%s message on a %s ticket: status %q, want %q", tc.author, tc.status, got.Status, tc.want)
			}
			if !got.UpdatedAt.Equal(clk.Now()) || !m.CreatedAt.Equal(clk.Now()) {
				t.Errorf("updated %v, message %v, want both %v", got.UpdatedAt, m.CreatedAt, clk.Now())
			}
		}
	})

	t.Run("internal notes are hidden unless asked for", func(t *testing.T) {
		db, _ := newTestDB(t)
		tk := createTicket(t, db, "c@example.com", "Notes")
		if _, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 7, Internal: true, Body: "customer sounds upset"}, staff); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 7, Body: "We are on it."}, staff); err != nil {
			t.Fatal(err)
		}
		public, err := db.ListMessages(ctx, tk.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range public {
			if m.Internal || m.Body == "customer sounds upset" {
				t.Errorf("customer view shows internal note %+v", m)
			}
		}
		if len(public) != 2 {
			t.Errorf("customer view: got %d messages, want 2", len(public))
		}
		all, err := db.ListMessages(ctx, tk.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 || !all[1].Internal || all[1].Body != "customer sounds upset" {
			t.Errorf("staff view: got %+v, want 3 messages with the note second", all)
		}
	})

	t.Run("only staff write internal notes", func(t *testing.T) {
		db, _ := newTestDB(t)
		tk := createTicket(t, db, "c@example.com", "Notes")
		before := tableCounts(t, db)
		_, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "customer", Internal: true, Body: "psst"}, customerActor)
		var verr *store.ValidationError
		if !errors.As(err, &verr) || verr.Fields["internal"] == "" {
			t.Errorf("got %v, want a validation error on internal", err)
		}
		assertSameCounts(t, before, tableCounts(t, db))
	})

	t.Run("a missing ticket is ErrNotFound and writes nothing", func(t *testing.T) {
		db, _ := newTestDB(t)
		before := tableCounts(t, db)
		_, err := db.AddMessage(ctx, 999, store.NewMessage{AuthorType: "customer", Body: "hello"}, customerActor)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
		assertSameCounts(t, before, tableCounts(t, db))
	})

	t.Run("a failing audit entry rolls back the message and the reopening", func(t *testing.T) {
		db, _ := newTestDB(t)
		tk := createTicket(t, db, "c@example.com", "Refund")
		setStatus(t, db, tk.ID, "solved")
		if _, err := db.Writer().ExecContext(ctx, `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
			BEGIN SELECT RAISE(ABORT, 'forced failure'); END`); err != nil {
			t.Fatal(err)
		}
		before := tableCounts(t, db)
		if _, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "customer", Body: "still broken"}, customerActor); err == nil {
			t.Fatal("got no error, want the forced failure")
		}
		assertSameCounts(t, before, tableCounts(t, db))
		if got, _ := db.GetTicket(ctx, tk.ID); got.Status != "solved" {
			t.Errorf("status: got %q, want %q", got.Status, "solved")
		}
	})
}

func TestListTickets(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	var ids []int64 // newest first
	for i, email := range []string{"a@example.com", "b@example.com", "a@example.com", "b@example.com", "a@example.com"} {
		tk := createTicket(t, db, email, "Ticket "+string(rune('1'+i)))
		ids = append([]int64{tk.ID}, ids...)
	}
	a, _ := db.GetCustomerByEmail(ctx, "a@example.com")
	setStatus(t, db, ids[1], "solved")

	idsOf := func(ts []store.Ticket) []int64 {
		var out []int64
		for _, tk := range ts {
			out = append(out, tk.ID)
		}
		return out
	}
	equal := func(a, b []int64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}

	tests := []struct {
		name   string
		filter store.TicketFilter
		want   []int64
	}{
		{"everything, newest first", store.TicketFilter{AllCustomers: true}, ids},
		{"by customer", store.TicketFilter{CustomerID: a.ID}, []int64{ids[0], ids[2], ids[4]}},
		{"by status", store.TicketFilter{AllCustomers: true, Status: "solved"}, []int64{ids[1]}},
		{"by customer and status", store.TicketFilter{CustomerID: a.ID, Status: "solved"}, nil},
		{"before a cursor", store.TicketFilter{AllCustomers: true, Before: ids[2]}, ids[3:]},
		{"limited", store.TicketFilter{AllCustomers: true, Limit: 2}, ids[:2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.ListTickets(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(idsOf(got), tc.want) {
				t.Errorf("got %v, want %v", idsOf(got), tc.want)
			}
		})
	}

	t.Run("paging with the cursor visits every ticket once", func(t *testing.T) {
		var seen []int64
		f := store.TicketFilter{AllCustomers: true, Limit: 2}
		for range 10 {
			page, err := db.ListTickets(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			seen = append(seen, idsOf(page)...)
			f.Before = page[len(page)-1].ID
		}
		if !equal(seen, ids) {
			t.Errorf("got %v, want %v", seen, ids)
		}
	})

}

func TestReadAfterRestart(t *testing.T) {
	// Right after a restart no customer key is cached, so reading a list
	// looks keys up while the list's rows are still open. With a single
	// reader connection that lookup must not wait for itself.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	path, master, clk := filepath.Join(t.TempDir(), "safedesk.db"), security.NewDataKey(), newFakeClock()
	db, err := openDB(t, path, master, clk, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tk := createTicket(t, db, "a@example.com", "First")
	createTicket(t, db, "b@example.com", "Second")
	db.Close()

	db, err = openDB(t, path, master, clk, store.Options{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts, err := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true})
	if err != nil || len(ts) != 2 || ts[1].Subject != "First" {
		t.Errorf("ListTickets: got %+v, %v; want both tickets", ts, err)
	}
	db.Close()

	db, err = openDB(t, path, master, clk, store.Options{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.ListMessages(ctx, tk.ID, true)
	if err != nil || len(ms) != 1 || ms[0].Body != "Body of First" {
		t.Errorf("ListMessages: got %+v, %v; want the first message", ms, err)
	}
}

// TestTicketLanguage: a ticket keeps the language it was filed in, for the
// mail about it; none is the site's (""), and a language the site does
// not speak is refused.
func TestTicketLanguage(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	for _, lang := range []string{"nl", ""} {
		tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "jan@example.nl", Subject: "Bestelling", Body: "Waar blijft mijn pakket?", Lang: lang}, customerActor)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.GetTicket(ctx, tk.ID); err != nil || got.Lang != lang {
			t.Errorf("lang %q: got %q, %v", lang, got.Lang, err)
		}
	}
	_, err := db.CreateTicket(ctx, store.NewTicket{Email: "jan@example.nl", Subject: "Bestelling", Body: "Waar?", Lang: "pt"}, customerActor)
	var verr *store.ValidationError
	if !errors.As(err, &verr) || verr.Fields["lang"] == "" {
		t.Errorf("an unknown language: %v, want a validation error on lang", err)
	}
}
