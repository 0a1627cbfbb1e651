package web

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/store"
)

// Customers.

type apiCustomerJSON struct {
	ID         int64  `json:"id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	VerifiedAt any    `json:"verified_at"`
	CreatedAt  any    `json:"created_at"`
}

func customerJSON(c store.Customer) apiCustomerJSON {
	return apiCustomerJSON{ID: c.ID, Email: c.Email, Name: c.Name, VerifiedAt: apiTime(c.VerifiedAt), CreatedAt: apiTime(c.CreatedAt)}
}

// apiCustomerGet shows a customer's address and name unmasked, so each call
// is audited like a PII reveal in the staff panel.
func (s *Server) apiCustomerGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	c, err := s.db.GetCustomer(r.Context(), id)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if err := s.db.RecordAudit(r.Context(), apiActor(r, p), "customer.pii_revealed", "customer:"+strconv.FormatInt(id, 10), nil); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, customerJSON(c))
}

// apiCustomerExport answers an access request: everything held about the
// customer that they may see (internal notes are not theirs), as a
// download. The export is audited.
func (s *Server) apiCustomerExport(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	x, err := s.db.ExportCustomer(r.Context(), id)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if err := s.db.RecordAudit(r.Context(), apiActor(r, p), "customer.exported", "customer:"+strconv.FormatInt(id, 10),
		map[string]any{"tickets": len(x.Tickets)}); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	tickets := make([]apiTicketJSON, len(x.Tickets))
	for i, t := range x.Tickets {
		tickets[i] = ticketJSON(t.Ticket)
		tickets[i].Messages = make([]apiMessageJSON, len(t.Messages))
		for j, m := range t.Messages {
			tickets[i].Messages[j] = messageJSON(m)
		}
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="customer-%d.json"`, id))
	s.writeJSON(w, http.StatusOK, map[string]any{
		"exported_at": apiTime(s.db.Now()), "customer": customerJSON(x.Customer), "tickets": tickets,
	})
}

// apiCustomerErase erases a customer by crypto-shredding (store.EraseCustomer).
func (s *Server) apiCustomerErase(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if _, err := s.db.EraseCustomer(r.Context(), id, apiActor(r, p)); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.wakeWebhooks()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// Knowledge base.

type apiArticleJSON struct {
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Body      string `json:"body,omitempty"`
	Snippet   string `json:"snippet,omitempty"`
	Published bool   `json:"published"`
	CreatedAt any    `json:"created_at,omitempty"`
	UpdatedAt any    `json:"updated_at,omitempty"`
}

func articleJSON(a store.Article, withBody bool) apiArticleJSON {
	out := apiArticleJSON{Slug: a.Slug, Title: a.Title, Published: a.Published, CreatedAt: apiTime(a.CreatedAt), UpdatedAt: apiTime(a.UpdatedAt)}
	if withBody {
		out.Body = a.Body
	}
	return out
}

// parseArticleQuery reads q of GET /kb/articles.
func parseArticleQuery(r *http.Request) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxQueryLen || strings.ContainsRune(q, 0) {
		return "", &store.ValidationError{Fields: map[string]string{"q": "Use at most 200 characters of text."}}
	}
	return q, nil
}

// apiArticleList lists every article, drafts included; with q it searches
// the published ones (FTS5, BM25), best first. q is reduced to plain words
// before it reaches FTS5, so its operators and SQL are only ever words.
func (s *Server) apiArticleList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	q, err := parseArticleQuery(r)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := []apiArticleJSON{}
	if q == "" {
		arts, err := s.db.ListArticles(r.Context(), true)
		if err != nil {
			s.apiServeError(w, r, err)
			return
		}
		for _, a := range arts {
			out = append(out, articleJSON(a, false))
		}
	} else {
		res, err := s.db.SearchArticles(r.Context(), q, store.MatchAny, 50)
		if err != nil {
			s.apiServeError(w, r, err)
			return
		}
		for _, a := range res {
			var snip strings.Builder
			for _, seg := range a.Snippet {
				snip.WriteString(seg.Text)
			}
			out = append(out, apiArticleJSON{Slug: a.Slug, Title: a.Title, Snippet: snip.String(), Published: true})
		}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"articles": out})
}

// articleRequest is the body of POST /kb/articles (slug required) and of
// PUT /kb/articles/{slug} (slug from the path). Published defaults to true.
type articleRequest struct {
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Published *bool  `json:"published"`
}

type articlePutRequest struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	Published *bool  `json:"published"`
}

func (req articleRequest) article() store.Article {
	a := store.Article{Slug: req.Slug, Title: strings.TrimSpace(req.Title), Body: req.Body, Published: true}
	if req.Published != nil {
		a.Published = *req.Published
	}
	return a
}

func (s *Server) apiArticleCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req articleRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	art := req.article()
	if err := art.Validate(); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if _, err := s.db.GetArticle(r.Context(), art.Slug, true); err == nil {
		s.apiServeError(w, r, apiErrorf(http.StatusConflict, "conflict", "An article with this slug exists; use PUT to change it."))
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		s.apiServeError(w, r, err)
		return
	}
	s.saveArticle(w, r, p, art, http.StatusCreated)
}

func (s *Server) saveArticle(w http.ResponseWriter, r *http.Request, p *store.Principal, art store.Article, status int) {
	if err := s.db.SaveArticle(r.Context(), art, apiActor(r, p)); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	saved, err := s.db.GetArticle(r.Context(), art.Slug, true)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/kb/articles/"+saved.Slug)
	s.writeJSON(w, status, articleJSON(saved, true))
}

func (s *Server) apiArticleGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	art, err := s.db.GetArticle(r.Context(), r.PathValue("slug"), true)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, articleJSON(art, true))
}

// apiArticlePut creates (201) or replaces (200) the article at the slug.
func (s *Server) apiArticlePut(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req articlePutRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	art := articleRequest{Slug: r.PathValue("slug"), Title: req.Title, Body: req.Body, Published: req.Published}.article()
	if err := art.Validate(); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	status := http.StatusOK
	if _, err := s.db.GetArticle(r.Context(), art.Slug, true); errors.Is(err, store.ErrNotFound) {
		status = http.StatusCreated
	} else if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.saveArticle(w, r, p, art, status)
}

func (s *Server) apiArticleDelete(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	if err := s.db.DeleteArticle(r.Context(), r.PathValue("slug"), apiActor(r, p)); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// Audit and security events.

type apiAuditJSON struct {
	Seq      int64          `json:"seq"`
	At       any            `json:"at"`
	Actor    map[string]any `json:"actor"`
	Action   string         `json:"action"`
	Target   string         `json:"target"`
	ClientIP string         `json:"client_ip"`
	Details  map[string]any `json:"details"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

// apiAuditList pages through the audit log in order: after=SEQ returns the
// entries that follow SEQ.
func (s *Server) apiAuditList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	after, err := queryInt(r, "after", 0)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	limit, err := queryLimit(r, 100, 1000)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	entries, err := s.db.ListAudit(r.Context(), store.AuditFilter{After: after, Limit: limit})
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := make([]apiAuditJSON, len(entries))
	for i, e := range entries {
		out[i] = apiAuditJSON{Seq: e.Seq, At: apiTime(e.At), Actor: map[string]any{"type": e.Actor.Type, "id": e.Actor.ID},
			Action: e.Action, Target: e.Target, ClientIP: e.Actor.ClientIP, Details: e.Details,
			PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

type apiEventJSON struct {
	ID       int64          `json:"id"`
	At       any            `json:"at"`
	Kind     string         `json:"kind"`
	Severity string         `json:"severity"`
	ClientIP string         `json:"client_ip"`
	Actor    string         `json:"actor"`
	Details  map[string]any `json:"details"`
}

// apiSecurityEvents lists security events newest first; before=ID pages on.
func (s *Server) apiSecurityEvents(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	before, err := queryInt(r, "before", 0)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	limit, err := queryLimit(r, 100, 1000)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	f := store.EventFilter{Kind: r.URL.Query().Get("kind"), Before: before, Limit: limit}
	if len(f.Kind) > 100 {
		s.apiServeError(w, r, &store.ValidationError{Fields: map[string]string{"kind": "Use at most 100 characters."}})
		return
	}
	if since := r.URL.Query().Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			s.apiServeError(w, r, &store.ValidationError{Fields: map[string]string{"since": "Use an RFC 3339 time like 2026-01-02T15:04:05Z."}})
			return
		}
		f.Since = t
	}
	events, err := s.db.ListSecurityEvents(r.Context(), f)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := make([]apiEventJSON, len(events))
	for i, e := range events {
		out[i] = apiEventJSON{ID: e.ID, At: apiTime(e.At), Kind: e.Kind, Severity: e.Severity, ClientIP: e.ClientIP, Actor: e.Actor, Details: e.Details}
		if out[i].Details == nil {
			out[i].Details = map[string]any{}
		}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"events": out})
}
