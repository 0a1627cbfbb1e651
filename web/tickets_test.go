package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func ticketForm(email, subject, body string) url.Values {
	return url.Values{"email": {email}, "name": {"Ada Customer"}, "subject": {subject}, "body": {body}}
}

var ticketLinkRe = regexp.MustCompile(`href="/tickets/(\d+)"`)

// signIn submits a ticket as email and verifies the code from the mail,
// returning the client with a verified session and the ticket path.
func (e *testEnv) signIn(email, subject, body string) (*client, string) {
	e.t.Helper()
	c := e.client()
	resp := c.post("/tickets/new", ticketForm(email, subject, body))
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/verify" {
		e.t.Fatalf("create ticket: %d %s", resp.status, resp.header.Get("Location"))
	}
	m := e.mail.next(e.t)
	if m.To != email || strings.Contains(m.Text, body) || strings.Contains(m.Text, subject) {
		e.t.Fatalf("mail to %q carries the ticket text or goes to the wrong address:\n%s", m.To, m.Text)
	}
	// The code of the receipt confirms the ticket and leads to it.
	resp = c.post("/verify", url.Values{"email": {email}, "code": {m.code(e.t)}})
	path := resp.header.Get("Location")
	if resp.status != http.StatusSeeOther || !regexp.MustCompile(`^/tickets/\d+$`).MatchString(path) {
		e.t.Fatalf("verify: %d %s\n%s", resp.status, path, resp.body)
	}
	list := c.get("/tickets")
	if links := ticketLinkRe.FindAllStringSubmatch(list.body, -1); len(links) == 0 || "/tickets/"+links[0][1] != path {
		e.t.Fatalf("the new ticket %s is not the first listed:\n%s", path, list.body)
	}
	return c, path
}

func TestCustomerFlow(t *testing.T) {
	env := newTestServer(t)
	c, path := env.signIn("ada@example.org", "Grinder makes a squeak", "It squeaks at fine settings.")

	t.Run("list shows the ticket", func(t *testing.T) {
		resp := c.get("/tickets")
		if resp.status != 200 || !strings.Contains(resp.body, "Grinder makes a squeak") {
			t.Fatalf("got %d:\n%s", resp.status, resp.body)
		}
		if !strings.Contains(resp.body, "a***@example.org") {
			t.Fatal("masked address not shown in the navigation")
		}
	})
	t.Run("ticket shows the conversation", func(t *testing.T) {
		resp := c.get(path)
		if resp.status != 200 || !strings.Contains(resp.body, "It squeaks at fine settings.") {
			t.Fatalf("got %d:\n%s", resp.status, resp.body)
		}
	})
	t.Run("reply is added", func(t *testing.T) {
		resp := c.post(path+"/reply", url.Values{"body": {"Also at coarse ones."}})
		if resp.status != http.StatusSeeOther || resp.header.Get("Location") != path {
			t.Fatalf("reply: %d %s", resp.status, resp.header.Get("Location"))
		}
		if body := c.get(path).body; !strings.Contains(body, "Also at coarse ones.") {
			t.Fatalf("reply missing:\n%s", body)
		}
	})
	t.Run("empty reply is 422 and keeps the page", func(t *testing.T) {
		resp := c.post(path+"/reply", url.Values{"body": {"   "}})
		if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `data-testid="body-error"`) {
			t.Fatalf("got %d:\n%s", resp.status, resp.body)
		}
	})
	t.Run("a second ticket when verified goes straight to it", func(t *testing.T) {
		resp := c.post("/tickets/new", ticketForm("ADA@example.org ", "Second one", "More."))
		if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.header.Get("Location"), "/tickets/") {
			t.Fatalf("got %d %s", resp.status, resp.header.Get("Location"))
		}
		env.mail.none(t)
	})
	t.Run("sign out ends access", func(t *testing.T) {
		if resp := c.post("/verify/signout", nil); resp.status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", resp.status)
		}
		if resp := c.get(path); resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/verify?next="+url.QueryEscape(path) {
			t.Fatalf("after sign out: %d %s", resp.status, resp.header.Get("Location"))
		}
	})
}

func TestCustomerIsolation(t *testing.T) {
	env := newTestServer(t)
	alice, alicePath := env.signIn("alice@example.org", "Alice's kettle", "Alice's secret text")
	bob, bobPath := env.signIn("bob@example.net", "Bob's order", "Bob's secret text")

	tests := []struct {
		name   string
		c      *client
		path   string
		status int
		absent string
	}{
		{"alice reads her own", alice, alicePath, 200, "Bob's secret text"},
		{"bob reads his own", bob, bobPath, 200, "Alice's secret text"},
		{"alice cannot read bob's", alice, bobPath, 404, "Bob's secret text"},
		{"bob cannot read alice's", bob, alicePath, 404, "Alice's secret text"},
		{"a missing ticket looks the same", alice, "/tickets/99999", 404, "Bob"},
		{"a malformed id is 404", alice, "/tickets/abc", 404, ""},
		{"alice's list lacks bob's", alice, "/tickets", 200, "Bob's order"},
	}
	notFound := map[*client]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.c.get(tt.path)
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d", resp.status, tt.status)
			}
			if tt.absent != "" && strings.Contains(resp.body, tt.absent) {
				t.Fatalf("page shows %q", tt.absent)
			}
			if tt.status == 404 {
				body := strings.Split(resp.body, "Reference:")[0]
				if notFound[tt.c] == "" {
					notFound[tt.c] = body
				} else if body != notFound[tt.c] {
					t.Fatal("someone else's ticket answers differently from a missing one")
				}
			}
		})
	}
	t.Run("bob cannot reply to alice's", func(t *testing.T) {
		resp := bob.post(alicePath+"/reply", url.Values{"body": {"injected"}})
		if resp.status != 404 {
			t.Fatalf("status %d, want 404", resp.status)
		}
		if strings.Contains(alice.get(alicePath).body, "injected") {
			t.Fatal("bob's reply reached alice's ticket")
		}
	})
}

func TestTicketCreateInvalid(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	long := strings.Repeat("x", 10001)
	tests := []struct {
		name      string
		form      url.Values
		wantError string
	}{
		{"invalid email", ticketForm("not-an-address", "Subj", "Body text"), "email-error"},
		{"empty subject", ticketForm("a@example.org", "  ", "Body text"), "subject-error"},
		{"over-long body", ticketForm("a@example.org", "Subj", long), "body-error"},
		{"email with a display name", ticketForm("Eve <eve@example.org>", "Subj", "Body"), "email-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.post("/tickets/new", tt.form)
			if resp.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.status)
			}
			if !strings.Contains(resp.body, `data-testid="`+tt.wantError+`"`) {
				t.Fatalf("no %s on the page", tt.wantError)
			}
			for field, v := range tt.form {
				if len(v[0]) > 200 {
					continue // checked below for the body
				}
				esc := strings.ReplaceAll(v[0], "<", "&lt;")
				esc = strings.ReplaceAll(esc, ">", "&gt;")
				if strings.TrimSpace(v[0]) != "" && !strings.Contains(resp.body, esc) {
					t.Fatalf("typed %s %q not kept", field, v[0])
				}
			}
		})
	}
	t.Run("long body is kept whole", func(t *testing.T) {
		resp := c.post("/tickets/new", ticketForm("a@example.org", "Subj", long))
		if !strings.Contains(resp.body, long) {
			t.Fatal("the typed body was not kept")
		}
	})
	t.Run("nothing was stored", func(t *testing.T) {
		ts, err := env.db.ListTickets(context.Background(), storeFilterAll())
		if err != nil || len(ts) != 0 {
			t.Fatalf("tickets after invalid posts: %d, %v", len(ts), err)
		}
		env.mail.none(t)
	})
	t.Run("body over 1 MiB is 413", func(t *testing.T) {
		resp := c.post("/tickets/new", ticketForm("a@example.org", "Subj", strings.Repeat("y", 1<<20+10)))
		if resp.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.status)
		}
	})
}

func TestCrossOriginRefused(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	for _, h := range []struct{ key, value string }{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		t.Run(h.key, func(t *testing.T) {
			req, _ := http.NewRequest("POST", env.http.URL+"/tickets/new",
				strings.NewReader(ticketForm("a@example.org", "Subj", "Body").Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(h.key, h.value)
			resp := c.do(req)
			if resp.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", resp.status)
			}
		})
	}
	ts, _ := env.db.ListTickets(context.Background(), storeFilterAll())
	if len(ts) != 0 {
		t.Fatalf("a cross-origin post created %d tickets", len(ts))
	}
	t.Run("same origin is allowed", func(t *testing.T) {
		req, _ := http.NewRequest("POST", env.http.URL+"/tickets/new",
			strings.NewReader(ticketForm("a@example.org", "Subj", "Body").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", env.http.URL)
		if resp := c.do(req); resp.status != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", resp.status)
		}
	})
}

func TestVerifyWrongCode(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	known := "known@example.org"
	env.signIn(known, "Subj", "Body")
	for _, email := range []string{known, "stranger@example.org"} {
		t.Run(email, func(t *testing.T) {
			resp := c.post("/verify", url.Values{"email": {email}})
			if resp.status != http.StatusSeeOther {
				t.Fatalf("send code: %d", resp.status)
			}
			right := env.mail.next(t).code(t)
			wrong := fmt.Sprintf("%06d", (atoi(right)+1)%1000000)
			resp = c.post("/verify", url.Values{"email": {email}, "code": {wrong}})
			if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "wrong or has expired") {
				t.Fatalf("wrong code: %d\n%s", resp.status, resp.body)
			}
			if strings.Contains(resp.body, "ticket") && strings.Contains(resp.body, "Subj") {
				t.Fatal("the answer reveals the address's tickets")
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestLogsHoldNoPersonalData runs the whole customer flow and then reads the
// server log: no address, name, subject or message may appear in it.
func TestLogsHoldNoPersonalData(t *testing.T) {
	env := newTestServer(t)
	c, path := env.signIn("marker.person@example.org", "MarkerSubjectZX", "MarkerBodyQW")
	c.post(path+"/reply", url.Values{"body": {"MarkerReplyJK"}})
	c.post("/tickets/new", ticketForm("bad address", "MarkerBadSubject", "x"))
	env.wait()
	logs := env.logs.String()
	if !strings.Contains(logs, "request") {
		t.Fatal("the log is empty: the check below would prove nothing")
	}
	for _, marker := range []string{"marker.person", "Ada Customer", "MarkerSubjectZX", "MarkerBodyQW", "MarkerReplyJK", "MarkerBadSubject"} {
		if strings.Contains(logs, marker) {
			t.Errorf("log contains %q", marker)
		}
	}
}
