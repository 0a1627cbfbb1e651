package store_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"safedesk/security"
	"safedesk/store"
)

func TestAudit(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	const email = "audit.person@example.com"
	var tk store.Ticket
	var code string

	steps := []struct {
		name   string
		action string // "" when the step must add no entry
		run    func() error
	}{
		{"CreateTicket", "ticket.created", func() (err error) {
			tk, err = db.CreateTicket(ctx, store.NewTicket{Email: email, Name: "Audit Person", Subject: "S", Body: "B"}, customerActor)
			return err
		}},
		{"CreateTicket failing validation", "", func() error {
			_, err := db.CreateTicket(ctx, store.NewTicket{Email: "bad", Subject: "S", Body: "B"}, customerActor)
			return wantValidation(err)
		}},
		{"AddMessage", "ticket.message_added", func() error {
			_, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 2, Body: "Hi"}, editor)
			return err
		}},
		{"AddMessage failing validation", "", func() error {
			_, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", Body: ""}, editor)
			return wantValidation(err)
		}},
		{"IssueCode", "customer.code_sent", func() (err error) {
			c, err := db.IssueCode(ctx, store.CodeRequest{Email: email}, customerActor)
			code = c.Code
			return err
		}},
		{"CheckCode with a wrong code", "customer.verify_failed", func() error {
			if _, err := db.CheckCode(ctx, store.CodeCheck{Email: email, Code: wrongCode(code)}, customerActor); !errors.Is(err, store.ErrCodeInvalid) {
				return errors.New("wrong code accepted")
			}
			return nil
		}},
		{"CheckCode", "customer.verified", func() error {
			_, err := db.CheckCode(ctx, store.CodeCheck{Email: email, Code: code}, customerActor)
			return err
		}},
		{"ImportArticles", "kb.imported", func() error {
			_, _, err := db.ImportArticles(ctx, fstest.MapFS{"one.md": {Data: []byte("# One\n\nText.")}}, store.SystemActor)
			return err
		}},
		{"SaveArticle new", "kb.created", func() error {
			return db.SaveArticle(ctx, store.Article{Slug: "two", Title: "Two", Body: "Text.", Published: true}, editor)
		}},
		{"SaveArticle existing", "kb.updated", func() error {
			return db.SaveArticle(ctx, store.Article{Slug: "two", Title: "Two", Body: "New text.", Published: true}, editor)
		}},
		{"SaveArticle failing validation", "", func() error {
			return wantValidation(db.SaveArticle(ctx, store.Article{Slug: "Bad Slug", Title: "T", Body: "B"}, editor))
		}},
		{"DeleteArticle", "kb.deleted", func() error {
			return db.DeleteArticle(ctx, "two", editor)
		}},
		{"DeleteArticle of a missing article", "", func() error {
			if err := db.DeleteArticle(ctx, "two", editor); !errors.Is(err, store.ErrNotFound) {
				return errors.New("want ErrNotFound")
			}
			return nil
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := countRows(t, db, "audit_log")
			if err := s.run(); err != nil {
				t.Fatal(err)
			}
			after := countRows(t, db, "audit_log")
			want := before
			if s.action != "" {
				want++
			}
			if after != want {
				t.Fatalf("audit entries: got %d, want %d", after, want)
			}
			if s.action == "" {
				return
			}
			last, err := db.ListAudit(ctx, store.AuditFilter{After: int64(after - 1)})
			if err != nil || len(last) != 1 || last[0].Action != s.action {
				t.Errorf("last entry: got %+v, %v; want action %s", last, err, s.action)
			}
		})
	}

	t.Run("entries name customers by id and the actor that acted", func(t *testing.T) {
		es, _ := db.ListAudit(ctx, store.AuditFilter{Action: "ticket.created"})
		if len(es) != 1 {
			t.Fatalf("got %d ticket.created entries, want 1", len(es))
		}
		e := es[0]
		// The visitor who typed the address filed it, not the customer
		// who owns it: they have proven nothing.
		if e.Actor.Type != store.ActorVisitor || e.Actor.ClientIP != db.ClientPseudonym("203.0.113.7") || e.Target != store.TicketTarget(tk.ID) {
			t.Errorf("got %+v, want visitor actor, client IP and ticket target", e)
		}
		if id, _ := e.Details["customer"].(float64); int64(id) != tk.CustomerID {
			t.Errorf("details: got %v, want customer %d", e.Details, tk.CustomerID)
		}
	})

	t.Run("no detail holds an email address", func(t *testing.T) {
		rows, err := db.Writer().QueryContext(ctx, "SELECT actor_id, target, details FROM audit_log")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var actor, target string
			var details []byte
			rows.Scan(&actor, &target, &details)
			for _, b := range [][]byte{[]byte(actor), []byte(target), details} {
				if bytes.Contains(b, []byte("@")) || bytes.Contains(bytes.ToLower(b), []byte("audit.person")) {
					t.Errorf("entry holds an address: %q %q %q", actor, target, details)
				}
			}
		}
	})

	t.Run("the chain verifies", func(t *testing.T) {
		n, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := countRows(t, db, "audit_log"); n != int64(want) || n < 7 {
			t.Errorf("verified %d entries, want %d", n, want)
		}
	})

	t.Run("the writer cannot update or delete entries", func(t *testing.T) {
		for _, q := range []string{
			"UPDATE audit_log SET target = 'x' WHERE seq = 1",
			"DELETE FROM audit_log WHERE seq = 1",
			"DELETE FROM audit_log",
		} {
			_, err := db.Writer().ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: got %v, want the append-only error", q, err)
			}
		}
	})

	t.Run("a change made around the triggers breaks the chain", func(t *testing.T) {
		db, _ := newTestDB(t)
		createTicket(t, db, "a@example.com", "One")
		createTicket(t, db, "b@example.com", "Two")
		if _, err := db.Writer().ExecContext(ctx, `DROP TRIGGER audit_log_no_update;
			UPDATE audit_log SET target = 'ticket:99' WHERE seq = 1`); err != nil {
			t.Fatal(err)
		}
		_, err := db.VerifyAudit(ctx)
		var chain *security.ChainError
		if !errors.As(err, &chain) || chain.Seq != 1 {
			t.Errorf("got %v, want a chain error at seq 1", err)
		}
	})

	t.Run("an entry exists exactly when its change does", func(t *testing.T) {
		db, _ := newTestDB(t)
		if _, err := db.Writer().ExecContext(ctx, `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
			BEGIN SELECT RAISE(ABORT, 'forced failure'); END`); err != nil {
			t.Fatal(err)
		}
		before := tableCounts(t, db)
		if _, err := db.CreateTicket(ctx, store.NewTicket{Email: "a@example.com", Name: "A", Subject: "S", Body: "B"}, customerActor); err == nil {
			t.Error("CreateTicket: got no error")
		}
		if err := db.SaveArticle(ctx, store.Article{Slug: "a", Title: "A", Body: "B", Published: true}, editor); err == nil {
			t.Error("SaveArticle: got no error")
		}
		assertSameCounts(t, before, tableCounts(t, db))
	})
}

func wantValidation(err error) error {
	var v *store.ValidationError
	if !errors.As(err, &v) {
		return errors.New("want a validation error, got: " + errString(err))
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
