package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// The fuzz targets feed the API's JSON decoders and search parameters with
// arbitrary input. Seeds live in testdata/fuzz/<target>/; run one with
// go test ./web/api -run '^$' -fuzz FuzzDecodeTicket -fuzztime 30s.

// checkDecodeError asserts that a decoding failure is a client error the
// API answers with 400 (or 413), never anything that would become a 500.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.message == "" {
		t.Fatalf("decode error %v is not a 400 answer", err)
	}
}

func FuzzDecodeTicket(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ticketCreateRequest
		if err := decodeJSONBody(bytes.NewReader(body), &req); err != nil {
			checkDecodeError(t, err)
			return
		}
		exactKeys(t, body, "email", "name", "subject", "body")
		nt := store.NewTicket{Email: req.Email, Name: req.Name, Subject: req.Subject, Body: req.Body}
		err := nt.Validate()
		var verr *store.ValidationError
		if err != nil && !errors.As(err, &verr) {
			t.Fatalf("validation returned %T", err)
		}
		if err == nil && (store.ValidateEmail(nt.Email) != "" || strings.TrimSpace(nt.Subject) == "" || strings.ContainsRune(nt.Body, 0)) {
			t.Fatalf("accepted an invalid ticket %+v", nt)
		}
	})
}

func FuzzDecodeTicketUpdate(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ticketUpdateRequest
		if err := decodeJSONBody(bytes.NewReader(body), &req); err != nil {
			checkDecodeError(t, err)
			return
		}
		exactKeys(t, body, "status", "priority", "assignee_id")
		u := req.update()
		if err := u.Validate(); err == nil && u.Status != nil && !strings.Contains(" open pending solved closed ", " "+*u.Status+" ") {
			t.Fatalf("accepted status %q", *u.Status)
		}
		if req.AssigneeID.set != (u.AssigneeID != nil) {
			t.Fatalf("assignee_id presence lost")
		}
	})
}

func FuzzDecodeWebhook(f *testing.F) {
	noDNS := func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no DNS in fuzzing") }
	f.Fuzz(func(t *testing.T, body []byte) {
		var req webhookCreateRequest
		if err := decodeJSONBody(bytes.NewReader(body), &req); err != nil {
			checkDecodeError(t, err)
			return
		}
		nw := store.NewWebhook{URL: req.URL, Events: req.Events, Description: req.Description}
		if nw.Validate() != nil {
			return
		}
		err := refusedURL(security.CheckURL(context.Background(), nw.URL, nil, noDNS))
		var verr *store.ValidationError
		if err != nil && !errors.As(err, &verr) {
			t.Fatalf("url check returned %v, which would be a 500", err)
		}
		if err == nil {
			// Only a public IP literal can pass without DNS.
			u, perr := url.Parse(nw.URL)
			if perr != nil {
				t.Fatalf("accepted unparsable %q", nw.URL)
			}
			a, aerr := netip.ParseAddr(strings.Trim(u.Hostname(), "[]"))
			if aerr != nil || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() {
				t.Fatalf("accepted %q", nw.URL)
			}
		}
	})
}

// FuzzSearchQuery runs arbitrary q (and status) values through the query
// parsing and the real searches on a real database: they must never fail
// with anything but a 422, and a ticket search must only return matches.
func FuzzSearchQuery(f *testing.F) {
	ctx := context.Background()
	dir := f.TempDir()
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), true)
	if err != nil {
		f.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "safedesk.db"), ring, store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if _, _, err := db.ImportArticles(ctx, store.DemoArticles(), store.SystemActor); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Grinder arrived broken", "Refund for order 1001", `Quote "marks" and 100% OFF_sale`, "Café crème – déjà vu"} {
		if _, err := db.CreateTicket(ctx, store.NewTicket{Email: "fuzz@example.com", Subject: s, Body: "x"}, store.SystemActor); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, q, status string) {
		r := httptest.NewRequest("GET", "/api/v1/tickets?"+url.Values{"q": {q}, "status": {status}}.Encode(), nil)
		tq, err := parseTicketQuery(r)
		var verr *store.ValidationError
		if err != nil {
			if !errors.As(err, &verr) {
				t.Fatalf("parse error %v is not a 422", err)
			}
		} else {
			ts, _, err := db.SearchTickets(ctx, store.TicketFilter{AllCustomers: true, Status: tq.status, Limit: tq.limit}, tq.q)
			if err != nil {
				t.Fatalf("search %q: %v", tq.q, err)
			}
			for _, tk := range ts {
				if tq.q != "" && store.ValidateEmail(tq.q) != "" && !strings.Contains(strings.ToLower(tk.Subject), strings.ToLower(tq.q)) {
					t.Fatalf("q %q returned %q", tq.q, tk.Subject)
				}
			}
		}
		aq, err := queryText(httptest.NewRequest("GET", "/api/v1/kb/articles?"+url.Values{"q": {q}}.Encode(), nil))
		if err != nil {
			if !errors.As(err, &verr) {
				t.Fatalf("parse error %v is not a 422", err)
			}
			return
		}
		if _, err := db.SearchArticles(ctx, aq, store.MatchAny, 50); err != nil {
			t.Fatalf("article search %q: %v", aq, err)
		}
	})
}

// exactKeys asserts that an accepted body names only these members, each
// once and spelt exactly so.
func exactKeys(t *testing.T, body []byte, names ...string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.Token()
	seen := map[string]bool{}
	for dec.More() {
		tok, _ := dec.Token()
		name, _ := tok.(string)
		if !slices.Contains(names, name) || seen[name] {
			t.Fatalf("accepted member %q in %q", name, body)
		}
		seen[name] = true
		var skip json.RawMessage
		dec.Decode(&skip)
	}
}
