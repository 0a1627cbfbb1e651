package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"safedesk/store"
)

// apiParts posts a multipart form to the API with a bearer token.
func (e *testEnv) apiParts(path, token string, parts ...formPart) response {
	e.t.Helper()
	body, ct := multipartBody(e.t, parts...)
	req, _ := http.NewRequest("POST", e.http.URL+path, body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	return e.send(req)
}

// TestAPIAttachments: an API client replies with files, sees them in the
// message JSON, and downloads them (audited) through the real router.
func TestAPIAttachments(t *testing.T) {
	env := newTestServerWith(t, func(c *Config) { c.Attachments.MaxSize = 64 << 10 })
	tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "ada@example.org", Subject: "Broken lid", Body: "Lid broke."}, store.Actor{Type: store.ActorVisitor})
	if err != nil {
		t.Fatal(err)
	}
	write, read := env.token(store.ScopeTicketsWrite), env.token(store.ScopeTicketsRead)
	messages := fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID)
	photo := photoWithGPS(t, "ApiGPSMarker")

	resp := env.apiParts(messages, write, textField("body", "Photos of a good lid, for comparison."), textField("internal", "false"),
		attach("lid.jpg", photo), attach("steps.txt", []byte("1. open\n2. close\n")))
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	atts, _ := resp.json(t)["attachments"].([]any)
	if len(atts) != 2 {
		t.Fatalf("attachments in the answer: %s", resp.body)
	}
	first := atts[0].(map[string]any)
	if first["name"] != "lid.jpg" || first["content_type"] != "image/jpeg" || first["size"].(float64) <= 0 {
		t.Errorf("first attachment %v", first)
	}
	aid := int64(first["id"].(float64))

	t.Run("the ticket lists them", func(t *testing.T) {
		got := env.api("GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), read, "")
		if !strings.Contains(got.body, `"name":"steps.txt"`) || !strings.Contains(got.body, `"attachments":[]`) {
			t.Errorf("ticket JSON: %s", got.body)
		}
	})
	t.Run("download", func(t *testing.T) {
		got := env.api("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID, aid), read, "")
		if got.status != 200 || got.header.Get("Content-Type") != "image/jpeg" || strings.Contains(got.body, "ApiGPSMarker") ||
			!strings.HasPrefix(got.header.Get("Content-Disposition"), "attachment;") || got.header.Get("Content-Security-Policy") != "sandbox; default-src 'none'" {
			t.Errorf("download: %d %q %q", got.status, got.header.Get("Content-Type"), got.header.Get("Content-Disposition"))
		}
		es, _ := env.db.ListAudit(t.Context(), store.AuditFilter{Action: "attachment.downloaded"})
		if len(es) != 1 || es[0].Actor.Type != store.ActorToken {
			t.Errorf("audit: %+v", es)
		}
		other := env.api("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID+1, aid), read, "")
		if other.status != 404 || other.errorCode(t) != "not_found" {
			t.Errorf("under another ticket: %d", other.status)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		before := env.attachmentRows()
		for _, c := range []struct {
			name   string
			path   string
			parts  []formPart
			status int
			code   string
		}{
			{"HTML", messages, []formPart{textField("body", "x"), attach("a.png", []byte("<!doctype html><p>hi"))}, 422, "invalid_attachment"},
			{"too large", messages, []formPart{textField("body", "x"), attach("big.txt", bytes.Repeat([]byte("a "), 40<<10))}, 413, "attachment_too_large"},
			{"unknown field", messages, []formPart{textField("body", "x"), textField("author", "me"), attach("a.txt", []byte("fine"))}, 400, "unknown_field"},
			{"a ticket that does not exist", "/api/v1/tickets/99999/messages", []formPart{textField("body", "x"), attach("a.txt", []byte("fine"))}, 404, "not_found"},
			{"no body", messages, []formPart{attach("a.txt", []byte("fine"))}, 422, "invalid"},
		} {
			got := env.apiParts(c.path, write, c.parts...)
			if got.status != c.status || got.errorCode(t) != c.code {
				t.Errorf("%s: %d %s, want %d %s", c.name, got.status, got.body, c.status, c.code)
			}
		}
		if n := env.attachmentRows(); n != before {
			t.Errorf("refused uploads left %d rows", n-before)
		}
	})
	t.Run("a deleted file is gone", func(t *testing.T) {
		if _, err := env.db.DeleteAttachment(t.Context(), tk.ID, aid, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		got := env.api("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID, aid), read, "")
		if got.status != http.StatusGone || got.errorCode(t) != "gone" {
			t.Errorf("download after deletion: %d %s", got.status, got.body)
		}
	})
}
