package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// The security dashboard (/admin/security): traffic, refusals and events
// over 24 hours as server-drawn SVG (templates/chart.go), the blocks in
// force with a button to lift one, the latest events with their client
// address, and the audit log's verdict from the monitor (web/monitor).
// Auditors read it; admins and owners may lift blocks. The page polls its
// live part through an adminPoll route, which does not keep an idle
// session alive.

// exemptShare counts requests from exempt clients, to warn when nearly all
// traffic arrives from a proxy that is not trusted.
type exemptShare struct {
	exempt, total atomic.Int64
}

func (s *Server) adminSecurity(w http.ResponseWriter, r *http.Request) {
	live, err := s.securityLive(r, time.Minute)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminSecurity(templates.AdminSecurityProps{
		AdminPage: s.adminPageProps(r, "Security", "security"), Live: live,
	}))
}

// adminSecurityLive is the dashboard's poll: the live panel alone. The
// audit verdict is reused for five minutes.
func (s *Server) adminSecurityLive(w http.ResponseWriter, r *http.Request) {
	live, err := s.securityLive(r, 5*time.Minute)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.SecurityLivePanel(live))
}

// adminSecurityVerifyPost verifies the whole audit log now; verifications
// run one at a time.
func (s *Server) adminSecurityVerifyPost(w http.ResponseWriter, r *http.Request) {
	if _, err := s.mon.AuditVerdict(r.Context(), 0); err != nil {
		var chain *security.ChainError
		if !errors.As(err, &chain) {
			s.serveError(w, r, err)
			return
		}
		s.flash(r, "The audit log does not verify: "+chain.Error())
	} else {
		s.flash(r, "The audit log verifies.")
	}
	http.Redirect(w, r, "/admin/security", http.StatusSeeOther)
}

// adminSecurityLiftPost lifts a client's block, as for a false positive:
// the stored block ends (audited) and the guard forgets the client.
func (s *Server) adminSecurityLiftPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	addr, err := store.ParseClientID(r.PostForm.Get("client"))
	if err != nil {
		s.serveError(w, r, errBadRequest)
		return
	}
	client := store.ClientID(addr) // the canonical spelling, as stored
	k := clientKey(addr)
	inGuard := s.abuse.guard.Lift(string(k[:]))
	err = s.db.LiftBlock(r.Context(), client, s.staffActor(r))
	switch {
	case errors.Is(err, store.ErrNotFound) && inGuard:
		// Blocked in memory only (its storing failed): still audited.
		err = s.db.RecordAudit(r.Context(), s.staffActor(r), "security.block_lifted", "client:"+client, map[string]any{"stored": false})
	case errors.Is(err, store.ErrNotFound):
		s.flash(r, client+" is not blocked.")
		http.Redirect(w, r, "/admin/security", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.log.Info("block lifted", "client", client, "by", s.currentStaff(r).ID)
	s.flash(r, "The block of "+client+" is lifted.")
	http.Redirect(w, r, "/admin/security", http.StatusSeeOther)
}

// securityLive gathers the dashboard's live panel; the audit verdict may be
// up to maxAge old.
func (s *Server) securityLive(r *http.Request, maxAge time.Duration) (templates.SecurityLive, error) {
	ctx := r.Context()
	now := s.db.Now()
	since := now.Add(-templates.ChartWindow)
	minutes, err := s.mon.TrafficSince(ctx, since)
	if err != nil {
		return templates.SecurityLive{}, err
	}
	counts, err := s.db.CountSecurityEvents(ctx, since, time.Hour)
	if err != nil {
		return templates.SecurityLive{}, err
	}
	blocks, err := s.db.ActiveBlocks(ctx)
	if err != nil {
		return templates.SecurityLive{}, err
	}
	events, err := s.db.ListSecurityEvents(ctx, store.EventFilter{Limit: 30})
	if err != nil {
		return templates.SecurityLive{}, err
	}
	live := templates.SecurityLive{
		Now:       now,
		Stats:     securityStats(now, minutes, counts, len(blocks)),
		Charts:    templates.SecurityCharts(now, minutes, counts),
		Blocks:    blocks,
		Events:    events,
		Verdict:   s.verdict(ctx, maxAge),
		CanManage: s.currentStaff(r).Role.Can(security.PermSecurityManage),
		Warning:   s.securityWarning(),
	}
	return live, nil
}

// verdict turns the audit log's verification into what the page shows.
func (s *Server) verdict(ctx context.Context, maxAge time.Duration) templates.AuditVerdict {
	rep, err := s.mon.AuditVerdict(ctx, maxAge)
	v := templates.AuditVerdict{
		OK: err == nil, Entries: rep.Entries, Checkpoints: rep.Checkpoints, Unchecked: rep.Unchecked,
		LatestSeq: rep.Latest.Seq, LatestAt: rep.Latest.At, CheckedAt: rep.At,
	}
	var chain *security.ChainError
	switch {
	case errors.As(err, &chain):
		v.BadSeq, v.Problem = chain.Seq, chain.Reason
	case err != nil:
		v.Problem = "the verification could not run; see the server log."
		s.log.Error("audit verification", "err", err)
	}
	return v
}

// securityStats sums up the window.
func securityStats(now time.Time, minutes map[int64]store.TrafficMinute, counts []store.EventCount, blocks int) []templates.SecurityStat {
	var req, errs, limited, blocked, lastHour int64
	hourAgo := now.Add(-time.Hour).Unix() / 60
	for m, tm := range minutes {
		req += tm.Requests
		errs += tm.ClientErrors + tm.ServerErrors
		limited += tm.Limited
		blocked += tm.Blocked
		if m > hourAgo {
			lastHour += tm.Requests
		}
	}
	var events int64
	for _, c := range counts {
		events += c.N
	}
	cls := func(bad bool, c string) string {
		if bad {
			return c
		}
		return ""
	}
	return []templates.SecurityStat{
		{Label: "requests / min (last hour)", Value: templates.ShortCount(float64(lastHour) / 60)},
		{Label: "requests", Value: strconv.FormatInt(req, 10)},
		{Label: "errors", Value: strconv.FormatInt(errs, 10)},
		{Label: "rate limited", Value: strconv.FormatInt(limited, 10), Class: cls(limited > 0, "warn")},
		{Label: "refused to blocked clients", Value: strconv.FormatInt(blocked, 10), Class: cls(blocked > 0, "warn")},
		{Label: "security events", Value: strconv.FormatInt(events, 10)},
		{Label: "clients blocked now", Value: strconv.Itoa(blocks), Class: cls(blocks > 0, "bad")},
	}
}

// securityWarning flags a deployment where abuse detection cannot work:
// nearly every request comes from an exempt address, as behind a reverse
// proxy on the same host that --trusted-proxies does not name.
func (s *Server) securityWarning() string {
	ex, total := s.abuse.share.exempt.Load(), s.abuse.share.total.Load()
	if total < 200 || ex*10 < total*9 {
		return ""
	}
	return "Nearly every request arrives from an exempt address (" + strconv.FormatInt(ex*100/total, 10) +
		"%), so rate limits and blocks do not apply to them. If a reverse proxy runs on this server, pass its address in --trusted-proxies so that visitors' own addresses are used."
}
