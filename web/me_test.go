package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
	"safedesk/web/api/apitest"
)

// verifyAs confirms email on a new client (a second device), returning it.
func (e *testEnv) verifyAs(email string) *client {
	e.t.Helper()
	c := e.client()
	if resp := c.post("/verify", url.Values{"email": {email}}); resp.status != http.StatusSeeOther {
		e.t.Fatalf("ask for a code: %d %s", resp.status, resp.body)
	}
	m := e.mail.next(e.t)
	if resp := c.post("/verify", url.Values{"email": {email}, "code": {m.code(e.t)}}); resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/tickets" {
		e.t.Fatalf("verify: %d %s", resp.status, resp.header.Get("Location"))
	}
	return c
}

// customerOf returns the customer with this address.
func (e *testEnv) customerOf(email string) store.Customer {
	e.t.Helper()
	c, err := e.db.GetCustomerByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatalf("customer %s: %v", email, err)
	}
	return c
}

// chatFor opens a consented conversation of the customer with one message.
func (e *testEnv) chatFor(customerID int64, text string) store.Conversation {
	e.t.Helper()
	ctx := context.Background()
	h := sha256.Sum256([]byte(text))
	c, err := e.db.StartConversation(ctx, h[:], customerID, ChatPolicyVersion, "", store.SystemActor)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{{Author: store.ChatAuthorVisitor, Body: text}}, store.SystemActor); err != nil {
		e.t.Fatal(err)
	}
	return c
}

type exported struct {
	Format   string
	About    struct{ Retention map[string]string }
	Customer struct {
		ID          int64
		Email, Name string
	}
	Tickets []struct {
		ID       int64
		Subject  string
		Messages []struct {
			Author, Body string
			Internal     bool `json:"internal_note"`
		}
	}
	Chats []struct {
		ConsentVersion string `json:"consent_version"`
		Messages       []struct{ Author, Body string }
	}
	Consents []struct{ Kind, Version string }
	Records  []struct {
		Action, By string
		IP         string `json:"network_address"`
		Pseudonym  string `json:"network_pseudonym"`
	}
}

func TestMeExport(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	me, _ := env.signIn("ex.me@example.org", "My toaster smokes", "It smokes at level 3.")
	env.signIn("ex.other@example.org", "OTHER-SUBJECT-MARKER", "OTHER-BODY-MARKER")
	mine := env.customerOf("ex.me@example.org")
	ts, _ := env.db.ListTickets(ctx, store.TicketFilter{CustomerID: mine.ID})
	if _, err := env.db.AddMessage(ctx, ts[0].ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Body: "Please unplug it."}, testAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.AddMessage(ctx, ts[0].ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Internal: true, Body: "NOTE-MARKER: sounds like a fire risk"}, testAdmin); err != nil {
		t.Fatal(err)
	}
	env.chatFor(mine.ID, "Is my toaster safe?")
	env.chatFor(env.customerOf("ex.other@example.org").ID, "OTHER-CHAT-MARKER")

	resp := me.get("/me/export")
	t.Run("a JSON download", func(t *testing.T) {
		if resp.status != 200 {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
		if cd := resp.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.HasSuffix(cd, `.json"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		if ct := resp.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if resp.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q: a copy of someone's data must not be cached", resp.header.Get("Cache-Control"))
		}
	})
	var x exported
	if err := json.Unmarshal([]byte(resp.body), &x); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	t.Run("everything held about them", func(t *testing.T) {
		if x.Format != exportFormat || x.Customer.Email != "ex.me@example.org" || x.Customer.Name != "Ada Customer" {
			t.Errorf("profile %+v", x.Customer)
		}
		if len(x.Tickets) != 1 || x.Tickets[0].Subject != "My toaster smokes" || len(x.Tickets[0].Messages) != 2 ||
			x.Tickets[0].Messages[0].Author != "you" || x.Tickets[0].Messages[1].Body != "Please unplug it." || x.Tickets[0].Messages[1].Author != "support" {
			t.Errorf("tickets %+v", x.Tickets)
		}
		if len(x.Chats) != 1 || x.Chats[0].Messages[0].Body != "Is my toaster safe?" || x.Chats[0].ConsentVersion != ChatPolicyVersion {
			t.Errorf("chats %+v", x.Chats)
		}
		if len(x.Consents) != 1 || x.Consents[0].Version != ChatPolicyVersion {
			t.Errorf("consents %+v", x.Consents)
		}
		var verified bool
		for _, r := range x.Records {
			verified = verified || (r.Action == "customer.verified" && r.By == "you" && r.Pseudonym != "" && r.IP == "")
		}
		if !verified {
			t.Errorf("records lack their own verification: %+v", x.Records)
		}
		if x.About.Retention["requests"] == "" || x.About.Retention["chats"] == "" {
			t.Errorf("retention not stated: %+v", x.About)
		}
	})
	t.Run("nobody else's data and no internal note", func(t *testing.T) {
		for _, bad := range []string{"ex.other@", "OTHER-", "NOTE-MARKER", `"author_id"`, `"staff_id"`} {
			if strings.Contains(resp.body, bad) {
				t.Errorf("export holds %q", bad)
			}
		}
	})
	t.Run("the export is audited", func(t *testing.T) {
		es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "customer.exported"})
		if len(es) != 1 || es[0].Target != "customer:"+strconv.FormatInt(mine.ID, 10) || es[0].Details["internal_notes"] != false {
			t.Fatalf("audit %+v", es)
		}
	})
	t.Run("internal notes once the owner enables them", func(t *testing.T) {
		if err := env.db.SetSetting(ctx, settingExportNotes, "on", testAdmin); err != nil {
			t.Fatal(err)
		}
		var x exported
		json.Unmarshal([]byte(me.get("/me/export").body), &x)
		if n := len(x.Tickets[0].Messages); n != 3 || !x.Tickets[0].Messages[2].Internal {
			t.Fatalf("messages %+v", x.Tickets[0].Messages)
		}
	})
	t.Run("a visitor who has not verified is sent to verify", func(t *testing.T) {
		if resp := env.client().get("/me/export"); resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/verify?next=%2Fme%2Fexport" {
			t.Fatalf("%d %s", resp.status, resp.header.Get("Location"))
		}
	})
}

// TestMeDeleteEndToEnd erases a customer from the portal and checks every
// place their data could linger: the API, their other sessions, the audit
// log, the register, the webhook, a fresh verification and a backup taken
// afterwards.
func TestMeDeleteEndToEnd(t *testing.T) {
	rc := apitest.NewReceiver(t)
	env := newAPIServer(t, allowWebhooks(rc.Host()))
	env.deliverWebhooks()
	ctx := context.Background()
	tok := env.token(store.ScopeWebhooksWrite, store.ScopeTicketsRead, store.ScopeCustomersRead)
	createWebhook(t, env, rc.URL+"/hook", store.EventCustomerErased)

	const email = "erase.me@example.org"
	marks := []string{"Erase-Subject-" + randText(), "Erase-Body-" + randText()}
	me, path := env.signIn(email, marks[0], marks[1])
	other, _ := env.signIn("keep.me@example.org", "Keep-Subject-"+randText(), "Keep-Body")
	phone := env.verifyAs(email) // the same person on a second device
	victim := env.customerOf(email)
	env.chatFor(victim.ID, "Erase-Chat-"+randText())
	ticketID := strings.TrimPrefix(path, "/tickets/")
	if got := env.api("GET", "/api/v1/tickets/"+ticketID, tok, ""); got.status != 200 {
		t.Fatalf("API before: %d", got.status)
	}

	t.Run("the page explains and asks for DELETE", func(t *testing.T) {
		page := me.get("/me/delete")
		if page.status != 200 || !strings.Contains(page.body, `name="confirm"`) || !strings.Contains(page.body, `data-testid="backup-window"`) {
			t.Fatalf("%d %s", page.status, page.body)
		}
	})
	t.Run("anything but DELETE erases nothing", func(t *testing.T) {
		for _, typed := range []string{"", "delete", "yes"} {
			resp := me.post("/me/delete", url.Values{"confirm": {typed}})
			if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `data-testid="confirm-error"`) {
				t.Fatalf("%q: %d", typed, resp.status)
			}
		}
		if _, err := env.db.GetCustomer(ctx, victim.ID); err != nil {
			t.Fatal(err)
		}
	})

	resp := me.post("/me/delete", url.Values{"confirm": {"DELETE"}})
	if resp.status != 200 || !strings.Contains(resp.body, `data-testid="me-deleted"`) {
		t.Fatalf("erase: %d %s", resp.status, resp.body)
	}
	tomb := regexpFind(t, `tomb_[A-Z2-7]+`, resp.body)

	t.Run("the API answers 404 for their ticket and themselves", func(t *testing.T) {
		if got := env.api("GET", "/api/v1/tickets/"+ticketID, tok, ""); got.status != 404 {
			t.Errorf("ticket: %d", got.status)
		}
		if got := env.api("GET", "/api/v1/customers/"+strconv.FormatInt(victim.ID, 10), tok, ""); got.status != 404 {
			t.Errorf("customer: %d", got.status)
		}
	})
	t.Run("every session of theirs ended, nobody else's", func(t *testing.T) {
		for name, c := range map[string]*client{"this browser": me, "their phone": phone} {
			if got := c.get("/tickets"); got.status != http.StatusSeeOther || !strings.HasPrefix(got.header.Get("Location"), "/verify") {
				t.Errorf("%s: %d %s", name, got.status, got.header.Get("Location"))
			}
		}
		if got := other.get("/tickets"); got.status != 200 {
			t.Errorf("another customer: %d", got.status)
		}
	})
	t.Run("the audit log records it without the address", func(t *testing.T) {
		es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "customer.erased"})
		if len(es) != 1 || es[0].Details["tombstone"] != tomb || es[0].Actor.Type != store.ActorCustomer {
			t.Fatalf("audit %+v", es)
		}
		all, _ := env.db.ListAudit(ctx, store.AuditFilter{Limit: 1000})
		for _, e := range all {
			b, _ := json.Marshal(e)
			for _, m := range append(marks, email, security.MaskEmail(email)) {
				if bytes.Contains(b, []byte(m)) {
					t.Errorf("audit entry %d %s holds %q", e.Seq, e.Action, m)
				}
			}
		}
		if _, err := env.db.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
	t.Run("the register has the request", func(t *testing.T) {
		reqs, err := env.db.ListErasureRequests(ctx, 10)
		if err != nil || len(reqs) != 1 || reqs[0].Tombstone != tomb || reqs[0].Channel != store.ChannelPortal {
			t.Fatalf("%+v %v", reqs, err)
		}
	})
	t.Run("customer.erased fires", func(t *testing.T) {
		want := `"customer_id":` + strconv.FormatInt(victim.ID, 10)
		rc.WaitFor("customer.erased", func(ds []apitest.Delivery) bool {
			for _, d := range ds {
				if d.Event == store.EventCustomerErased && bytes.Contains(d.Body, []byte(want)) {
					return true
				}
			}
			return false
		})
	})
	t.Run("verifying the same address starts from nothing", func(t *testing.T) {
		again := env.verifyAs(email)
		list := again.get("/tickets")
		if list.status != 200 || !strings.Contains(list.body, `data-testid="no-tickets"`) || strings.Contains(list.body, marks[0]) {
			t.Fatalf("%d %s", list.status, list.body)
		}
		c := env.customerOf(email)
		if c.ID == victim.ID || c.Name != "" {
			t.Errorf("came back as %+v", c)
		}
		var x exported
		json.Unmarshal([]byte(again.get("/me/export").body), &x)
		if len(x.Tickets) != 0 || len(x.Chats) != 0 {
			t.Errorf("export after coming back: %+v", x)
		}
	})
	t.Run("a backup taken afterwards holds nothing of theirs", func(t *testing.T) {
		scanLaterBackup(t, env, email, marks, "Keep-Body")
	})
}

// scanLaterBackup makes a backup now, decrypts and restores it with the
// backup package, and looks for the erased customer's data in it, both as
// raw bytes and through the store with the master key; control is a text
// of another customer that must be found, or the scan proves nothing.
func scanLaterBackup(t *testing.T, env *testEnv, email string, marks []string, control string) {
	t.Helper()
	ctx := context.Background()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	src, err := env.db.OpenSnapshotSource()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := t.TempDir()
	if _, err := backup.Create(ctx, src, backup.CreateOptions{Dir: dir, Recipients: []age.Recipient{id.Recipient()}, SchemaVersion: store.SchemaVersion()}); err != nil {
		t.Fatal(err)
	}
	entries, err := backup.List(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("backups %v %v", entries, err)
	}
	restored := t.TempDir()
	key, err := os.ReadFile(filepath.Join(env.dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteFileAtomic(filepath.Join(restored, backup.MasterKeyName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, entries[0].Path, []age.Identity{id}, restored, false); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(restored, backup.DBName))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(marks, email) {
		if bytes.Contains(raw, []byte(m)) {
			t.Errorf("the backup file holds %q in the clear", m)
		}
	}
	ring, _, err := security.LoadMasterKey(filepath.Join(restored, backup.MasterKeyName), false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(restored, backup.DBName), ring, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := false
	ts, err := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ts {
		msgs, err := db.ListMessages(ctx, tk.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		text := tk.Subject
		for _, m := range msgs {
			text += "\n" + m.Body
		}
		for _, m := range marks {
			if strings.Contains(text, m) {
				t.Errorf("ticket %d in the backup holds %q", tk.ID, m)
			}
		}
		found = found || strings.Contains(text, control)
	}
	if !found {
		t.Fatalf("the backup does not show another customer's %q either: the scan proves nothing", control)
	}
	if c, err := db.GetCustomerByEmail(ctx, email); err == nil && c.Name != "" {
		t.Errorf("the backup holds the erased customer %+v", c)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}

func TestNotificationsCarryNoText(t *testing.T) {
	for _, withText := range []bool{false, true} {
		t.Run("notify-text "+strconv.FormatBool(withText), func(t *testing.T) {
			env := newTestServerWith(t, func(c *Config) { c.Privacy.NotifyText = withText })
			subject, body := "Subject-"+randText(), "Body-"+randText()
			env.signIn("notified@example.org", subject, body)
			owner, _ := env.owner()
			ts, _ := env.db.ListTickets(context.Background(), store.TicketFilter{AllCustomers: true})
			reply := "Reply-" + randText()
			if resp := owner.post("/admin/tickets/"+strconv.FormatInt(ts[0].ID, 10)+"/reply", url.Values{"body": {reply}}); resp.status != http.StatusSeeOther {
				t.Fatalf("reply: %d %s", resp.status, resp.body)
			}
			m := env.mail.next(t)
			if m.To != "notified@example.org" || !strings.Contains(m.Text, "/tickets/"+strconv.FormatInt(ts[0].ID, 10)) {
				t.Fatalf("mail %+v", m)
			}
			for _, s := range []string{subject, body} {
				if strings.Contains(m.Text, s) || strings.Contains(m.Subject, s) {
					t.Errorf("the notification carries %q", s)
				}
			}
			if got := strings.Contains(m.Text, reply); got != withText {
				t.Errorf("reply text in the mail: %v, want %v", got, withText)
			}
			if strings.Contains(m.Subject, reply) {
				t.Error("the reply is in the subject line")
			}
		})
	}
}

func TestPrivacyPageFromConfig(t *testing.T) {
	env := newTestServerWithDB(t, func(c *Config, db *store.DB) {
		o := backup.DefaultOptions()
		o.CopyTo = "/mnt/offsite"
		svc, err := backup.New(context.Background(), o, backup.Deps{DB: db, DataDir: filepath.Dir(db.Path())})
		if err != nil {
			t.Fatal(err)
		}
		c.Backups = svc
		c.ChatRetention = 30 * 24 * time.Hour
		c.Privacy.Retention = store.Retention{ResolvedTickets: 730 * 24 * time.Hour, SecurityEvents: 90 * 24 * time.Hour}
	})
	page := env.client().get("/privacy")
	if page.status != 200 {
		t.Fatal(page.status)
	}
	for _, want := range []string{
		"730 days after a request is solved or closed",
		"30 days after the last message",
		"90 days",
		"the newest 3 backups and the newest backup of each of the last 7 days, 4 weeks and 12 months",
		"after about 12 months (or 3 more backups, if those take longer) at most",
		"a copy of each is kept in a second place",
		`data-testid="consent-version">` + ChatPolicyVersion,
		"Our email relay (127.0.0.1)", // by its host alone (TestPrivacyNoticeNamesTheRelayByHost)
		"never contain the text of your requests",
		`<a href="/verify">Confirm your email address</a>`,
		// Every cookie the site may set, and for how long.
		"it ends after 30 minutes without use",
		"a cookie does that for 30 days",
		"a cookie remembers only its code, for 365 days",
		"remembers it on your device for 30 days, so that your answer counts once",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("privacy page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Every connection to this site is encrypted") {
		t.Error("claims HTTPS on an http base URL")
	}
	c, _ := env.signIn("rights@example.org", "Rights", "Rights")
	if body := c.get("/privacy").body; !strings.Contains(body, `href="/me/export"`) || !strings.Contains(body, `href="/me/delete"`) {
		t.Error("a verified customer is not offered export and erasure")
	}
}

func TestDescribeLadder(t *testing.T) {
	type ladder struct{ Words, Longest string }
	for keep, want := range map[string]ladder{
		"7d,4w,12m": {"the newest backup of each of the last 7 days, 4 weeks and 12 months", "about 12 months"},
		"14d":       {"the newest backup of each of the last 14 days", "about 14 days"},
		"1d,1w":     {"the newest backup of each of the last 1 day and 1 week", "about 1 week"},
		"x":         {"only the newest backup", "until the next backup replaces it"},
		"3,7d,4w,12m": {"the newest 3 backups and the newest backup of each of the last 7 days, 4 weeks and 12 months",
			"about 12 months (or 3 more backups, if those take longer)"},
		"5": {"the newest 5 backups", "5 more backups"},
	} {
		if words, longest := templates.Ladder(i18n.New(i18n.Default, nil), keep); (ladder{words, longest}) != want {
			got := ladder{words, longest}
			t.Errorf("%q: got %+v, want %+v", keep, got, want)
		}
	}
}

// TestErasureEndsChatVerifiedSession: a session verified in the chat is
// bound to its customer like one verified on /verify, so erasing the
// customer from elsewhere (here the API) ends it and takes the transcript.
func TestErasureEndsChatVerifiedSession(t *testing.T) {
	env := newAPIServer(t)
	ctx := context.Background()
	tk, err := env.db.CreateTicket(ctx, store.NewTicket{Email: "chat.erased@example.org", Subject: "Chat then erase", Body: "b"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	c := env.chatter()
	c.ask("what's the status of my ticket")
	env.verifyInChat(c, "chat.erased@example.org")
	if resp := c.get("/tickets"); resp.status != 200 {
		t.Fatalf("not verified: %d", resp.status)
	}
	tok := env.token(store.ScopeCustomersErase)
	if got := env.api("DELETE", "/api/v1/customers/"+strconv.FormatInt(tk.CustomerID, 10), tok, ""); got.status != http.StatusNoContent {
		t.Fatalf("API erase: %d %s", got.status, got.body)
	}
	if resp := c.get("/tickets"); resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.header.Get("Location"), "/verify") {
		t.Errorf("the chat-verified session outlived the erasure: %d", resp.status)
	}
	if n := countRows(t, env.db, "chat_conversations"); n != 0 {
		t.Errorf("%d conversations left", n)
	}
}
