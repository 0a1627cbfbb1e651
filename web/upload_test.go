package web

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
)

// TestUploadBadInput sends the new-request form with each kind of bad
// file: each gets an answer naming the file, the form comes back with
// everything typed (and asks for the files again), and nothing of any
// file stays in the database.
func TestUploadBadInput(t *testing.T) {
	env := newTestServerWith(t, func(c *Config) { c.Attachments.MaxSize = 64 << 10 })
	ada := env.verifyAs("ada@example.org")
	typed := []formPart{textField("email", "ada@example.org"), textField("name", "Ada Typed-Name"),
		textField("subject", "Subject I typed"), textField("body", "Body I typed with care.")}
	eleven := typed
	for i := range 11 {
		eleven = append(eleven, attach(fmt.Sprintf("page-%d.txt", i+1), []byte("page text")))
	}
	cases := []struct {
		name   string
		parts  []formPart
		status int
		want   []string // in the answer
	}{
		{"an empty file", append(typed, attach("empty.txt", nil)), 422, []string{"empty.txt", "it is empty"}},
		{"a part without a filename", append(typed, formPart{field: "attachments", file: true, noName: true, data: "some bytes"}), 422, []string{"a file has no name"}},
		{"a nameless part with bytes", append(typed, attach("", []byte("some bytes"))), 422, []string{"a file has no name"}},
		{"a name with a path", append(typed, attach("../../etc/passwd.txt", []byte("root"))), 422, []string{"passwd.txt", "folder path"}},
		{"a name with control characters", append(typed, attach("photo\u202egpj.exe", []byte("x"))), 422, []string{"photogpj.exe", "control characters"}},
		{"a type lie", append(typed, attach("photo.png", []byte("<html><script>alert(1)</script></html>"))), 422, []string{"photo.png", "web pages"}},
		{"a program", append(typed, attach("invoice.pdf", append([]byte("MZ\x90\x00"), make([]byte, 200)...))), 422, []string{"invoice.pdf", "programs and scripts"}},
		{"a file over the limit", append(typed, attach("big.txt", bytes.Repeat([]byte("words "), 11<<10))), 413, []string{"big.txt", "larger than 64 KB"}},
		{"eleven files", eleven, 422, []string{"page-11.txt", "at most 10 files"}},
	}
	tickets := ticketCount(t, env)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := ada.postParts("/tickets/new", c.parts...)
			checkFormBack(t, env, resp, c.status, c.want)
			if n := ticketCount(t, env); n != tickets {
				t.Errorf("%d tickets, want %d", n, tickets)
			}
		})
	}
	t.Run("a body cut off in a file", func(t *testing.T) {
		body, ct := multipartBody(t, append(typed, attach("scan.txt", bytes.Repeat([]byte("scanned text "), 2000)))...)
		cut := body.Bytes()[:body.Len()-10000]
		req, _ := http.NewRequest("POST", env.http.URL+"/tickets/new", bytes.NewReader(cut))
		req.Header.Set("Content-Type", ct)
		checkFormBack(t, env, ada.do(req), 422, []string{"scan.txt", "did not arrive completely"})
	})
	t.Run("a 10 GB Content-Length is refused before the body is read", func(t *testing.T) {
		conn, err := net.Dial("tcp", env.http.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /tickets/new HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n--b\r\n", int64(10)<<30)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("the blank part of a file input left empty is no file", func(t *testing.T) {
		resp := ada.postParts("/tickets/new", append(typed, attach("", nil))...)
		if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.header.Get("Location"), "/tickets/") {
			t.Fatalf("got %d %s\n%s", resp.status, resp.header.Get("Location"), resp.body)
		}
	})
	t.Run("a form error with good files asks for them again", func(t *testing.T) {
		parts := []formPart{textField("email", "ada@example.org"), textField("subject", ""), textField("body", "Body I typed with care."),
			attach("fine.txt", []byte("a fine file"))}
		resp := ada.postParts("/tickets/new", parts...)
		checkFormBack(t, env, resp, 422, []string{"Enter a subject"})
	})
	t.Run("on the reply form too", func(t *testing.T) {
		c, path := env.signIn("bea@example.org", "First", "First message.")
		resp := c.postParts(path+"/reply", textField("body", "Reply I typed."), attach("photo.png", []byte("<svg onload=alert(1)>")))
		if resp.status != 422 || !strings.Contains(resp.body, "Reply I typed.") || !strings.Contains(resp.body, "web pages") {
			t.Errorf("got %d:\n%s", resp.status, resp.body)
		}
		if n := env.attachmentRows(); n != 0 {
			t.Errorf("%d attachment rows left", n)
		}
	})
}

// checkFormBack checks a form that came back: the status, the texts that
// explain it, every field as typed, the request to choose files again,
// and no file left in the database.
func checkFormBack(t *testing.T, env *testEnv, resp response, status int, want []string) {
	t.Helper()
	if resp.status != status {
		t.Fatalf("status %d, want %d:\n%s", resp.status, status, resp.body)
	}
	for _, w := range append(want, "ada@example.org", "Body I typed with care.", "Please choose your files again") {
		if !strings.Contains(resp.body, w) {
			t.Errorf("the answer lacks %q", w)
		}
	}
	if n := env.attachmentRows(); n != 0 {
		t.Errorf("%d attachment rows left behind", n)
	}
}

func ticketCount(t *testing.T, env *testEnv) int {
	t.Helper()
	ts, err := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

// TestUploadFieldsAreScanned: probes in a multipart form's text count
// with the abuse guard as they do in an urlencoded form: a client sending
// them is throttled either way.
func TestUploadFieldsAreScanned(t *testing.T) {
	env := newAbuseEnv(t)
	probe := "' UNION SELECT password FROM users --"
	var got []int
	for _, c := range []struct {
		addr string
		send func(*client) response
	}{
		{"198.51.100.7", func(c *client) response {
			return c.post("/tickets/new", url.Values{"email": {"p@example.org"}, "subject": {"x"}, "body": {probe}})
		}},
		{"198.51.100.8", func(c *client) response {
			return c.postParts("/tickets/new", textField("email", "p@example.org"), textField("subject", "x"), textField("body", probe))
		}},
	} {
		before := env.events("abuse.payload")
		cl := env.clientFrom(c.addr)
		for range 3 {
			c.send(cl)
		}
		got = append(got, env.events("abuse.payload")-before)
	}
	if got[0] == 0 || got[1] != got[0] {
		t.Errorf("payload events: %d for the urlencoded form, %d for the multipart one", got[0], got[1])
	}
}
