package web

import (
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/templates"
)

// The audit log viewer (/admin/audit) for auditors, admins and owners:
// filters by actor, action, target and time, newest first with paging by
// seq, and a CSV export of everything the filter matches. The export needs
// a step-up and is audited before the first byte goes out.

// auditPageSize is how many entries a page of the viewer shows.
const auditPageSize = 50

// auditTimeLayouts are what <input type="datetime-local"> sends.
var auditTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

var auditActorTypes = []string{store.ActorStaff, store.ActorCustomer, store.ActorVisitor, store.ActorToken, store.ActorSystem}

// parseAuditFilter reads the filter fields of v into the form as typed and
// the store's filter, with a message per invalid field.
func parseAuditFilter(v url.Values) (templates.AuditFilterForm, store.AuditFilter, map[string]string) {
	form := templates.AuditFilterForm{
		Actor: strings.TrimSpace(v.Get("actor")), Action: strings.TrimSpace(v.Get("action")),
		Target: strings.TrimSpace(v.Get("target")), From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
	}
	var f store.AuditFilter
	errs := map[string]string{}
	if form.Actor != "" {
		typ, id, _ := strings.Cut(form.Actor, ":")
		if !validActorType(typ) || len(id) > 60 || strings.Contains(id, "*") {
			errs["actor"] = "Actor: a type (staff, customer, visitor, token or system), optionally with an id, like staff:3."
		}
		f.ActorType, f.ActorID = typ, id
	}
	if form.Action != "" {
		if !validPattern(form.Action, 80, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' }) {
			errs["action"] = "Action: a name like staff.role_changed, or a prefix ending in *, like staff.*."
		}
		f.Action = form.Action
	}
	if form.Target != "" {
		if !validPattern(form.Target, 200, func(c byte) bool { return c > ' ' && c != 0x7f }) {
			errs["target"] = "Target: a name like ticket:12 or client:203.0.113.9, or a prefix ending in *."
		}
		f.Target = form.Target
	}
	var ok bool
	if form.From != "" {
		if f.Since, ok = parseAuditTime(form.From); !ok {
			errs["from"] = "From: a date and time, like 2026-03-02T09:00."
		}
	}
	if form.To != "" {
		if f.Until, ok = parseAuditTime(form.To); !ok {
			errs["to"] = "To: a date and time, like 2026-03-02T18:00."
		} else {
			f.Until = f.Until.Add(time.Minute) // the whole minute named
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		errs["to"] = "To must come after From."
	}
	return form, f, errs
}

func validActorType(t string) bool {
	for _, a := range auditActorTypes {
		if t == a {
			return true
		}
	}
	return false
}

// validPattern accepts up to n bytes each allowed by ok, with at most one
// "*" and only at the end.
func validPattern(s string, n int, ok func(byte) bool) bool {
	body := strings.TrimSuffix(s, "*")
	if len(s) > n || body == "" && s != "*" {
		return false
	}
	for i := 0; i < len(body); i++ {
		if body[i] == '*' || !ok(body[i]) {
			return false
		}
	}
	return true
}

func parseAuditTime(s string) (time.Time, bool) {
	for _, l := range auditTimeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// auditURL is the viewer's address for the filter, from entries before
// seq (0: the newest).
func auditURL(form templates.AuditFilterForm, before int64) string {
	v := url.Values{}
	for _, kv := range [][2]string{{"actor", form.Actor}, {"action", form.Action}, {"target", form.Target}, {"from", form.From}, {"to", form.To}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if len(v) == 0 {
		return "/admin/audit"
	}
	return "/admin/audit?" + v.Encode()
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	form, f, errs := parseAuditFilter(q)
	before := optionalInt(q.Get("before"))
	s.renderAudit(w, r, form, f, errs, before)
}

func (s *Server) renderAudit(w http.ResponseWriter, r *http.Request, form templates.AuditFilterForm, f store.AuditFilter, errs map[string]string, before int64) {
	p := templates.AdminAuditProps{AdminPage: s.adminPageProps(r, "Audit log", "audit"), Filter: form, Errors: errs}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		f.Before, f.Newest, f.Limit = max(before, 0), true, auditPageSize+1
		entries, err := s.db.ListAudit(r.Context(), f)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if len(entries) > auditPageSize {
			entries = entries[:auditPageSize]
			p.OlderURL = auditURL(form, entries[len(entries)-1].Seq)
		}
		p.Entries = entries
	}
	if before > 0 {
		p.NewestURL = auditURL(form, 0)
	}
	s.render(w, r, status, templates.AdminAudit(p))
}

// adminAuditExportPost streams the entries the filter matches as CSV, in
// seq order. Every column that goes into an entry's hash is included (the
// time also in Unix nanoseconds), so the chain of a complete export can be
// recomputed elsewhere with the algorithm in security.HashAuditRecord.
func (s *Server) adminAuditExportPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	form, f, errs := parseAuditFilter(r.PostForm)
	if len(errs) > 0 {
		s.renderAudit(w, r, form, f, errs, 0)
		return
	}
	details := map[string]any{}
	for k, v := range map[string]string{"actor": form.Actor, "action": form.Action, "target": form.Target, "from": form.From, "to": form.To} {
		if v != "" {
			details[k] = v
		}
	}
	if err := s.db.RecordAudit(r.Context(), s.staffActor(r), "audit.exported", "audit", details); err != nil {
		s.serveError(w, r, err)
		return
	}
	name := "safedesk-audit-" + s.db.Now().UTC().Format("20060102T150405Z") + ".csv"
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(s.longResponse(w)) // a long log outlasts the write timeout
	cw.Write([]string{"seq", "at", "at_unix_nano", "actor_type", "actor_id", "client_ip", "action", "target", "details", "prev_hash", "hash"})
	err := s.db.ExportAudit(r.Context(), f, func(e store.AuditEntry) error {
		cw.Write([]string{
			strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), strconv.FormatInt(e.At.UnixNano(), 10),
			csvCell(e.Actor.Type), csvCell(e.Actor.ID), csvCell(e.Actor.ClientIP), csvCell(e.Action), csvCell(e.Target),
			csvCell(string(e.RawDetails)), hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash),
		})
		return cw.Error()
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		s.log.Error("audit export cut short", "err", err, "request_id", info(r).id)
	}
}

// csvCell defuses spreadsheet formulas (CSV injection): a cell starting
// with = + @, a tab or a carriage return, or a - followed by more, gets a
// leading apostrophe. Such cells do not occur in entries safedesk writes
// except in free names (a knowledge-base slug cannot start so either).
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + s
	case '-':
		if len(s) > 1 {
			return "'" + s
		}
	}
	return s
}
