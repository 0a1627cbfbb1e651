package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// PrivacyConfig is what the privacy features need from the command line.
type PrivacyConfig struct {
	// Retention is what the retention job applies; the privacy page and
	// exports state it.
	Retention store.Retention
	// NotifyText puts a staff reply's text into the email that announces
	// it. Off by default: notifications say only that there is a reply and
	// link to the portal, where the customer confirms their address.
	NotifyText bool
	// Schedule is when the retention job runs, a cron spec in UTC (main
	// schedules it; doctor and the settings page show it).
	Schedule string
}

// settingExportNotes is the owner's choice to include internal notes in a
// customer's export ("on"), off by default.
const settingExportNotes = "export_internal_notes"

// confirmDelete is what a customer types to confirm erasure.
const confirmDelete = "DELETE"

// bindCustomerSession ties the session, just renewed at verification, to
// its customer, so that erasing the customer by any route ends it. Every
// place that puts sessCustomerID calls it right after.
func (s *Server) bindCustomerSession(ctx context.Context, customerID int64) error {
	return s.db.BindCustomerSession(ctx, s.customer.Token(ctx), customerID)
}

// exportNotes reports whether the owner lets exports include internal notes.
func (s *Server) exportNotes(ctx context.Context) (bool, error) {
	v, err := s.db.GetSetting(ctx, settingExportNotes, "off")
	return v == "on", err
}

// meExport answers an access request: a JSON file of everything held about
// the verified customer (a ZIP of it and their files when they have
// files), recorded in the audit log before it is sent.
func (s *Server) meExport(w http.ResponseWriter, r *http.Request) {
	x, err := s.exportSubject(r.Context(), s.customerID(r), s.actor(r))
	if s.failed(w, r, err, s.staleCustomer) {
		return
	}
	s.sendExport(w, r, x, "my-data-"+x.at.UTC().Format(time.DateOnly))
}

// meDelete explains erasure and asks the customer to confirm it.
func (s *Server) meDelete(w http.ResponseWriter, r *http.Request) {
	s.renderMeDelete(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderMeDelete(w http.ResponseWriter, r *http.Request, status int, confirm string, errs map[string]string) {
	s.render(w, r, status, templates.MeDelete(templates.MeDeleteProps{
		Page: s.page(r, i18n.T(r.Context(), i18n.EraseTitle)), Confirm: confirm, Errors: errs, Backups: s.backupNotice(),
	}))
}

// meDeletePost erases the verified customer by crypto-shredding once they
// typed DELETE: their data key is destroyed and their rows, sessions
// included, are removed in one transaction (store.EraseCustomer); the
// request goes into the register; customer.erased webhooks fire; and this
// browser's session ends.
func (s *Server) meDeletePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	confirm := strings.TrimSpace(r.PostForm.Get("confirm"))
	if confirm != confirmDelete {
		s.renderMeDelete(w, r, http.StatusUnprocessableEntity, confirm, map[string]string{
			"confirm": i18n.T(r.Context(), i18n.EraseConfirmError),
		})
		return
	}
	ctx := r.Context()
	now := s.db.Now()
	tomb, err := s.db.EraseCustomer(ctx, s.customerID(r), s.actor(r))
	if s.failed(w, r, err, s.staleCustomer) {
		return
	}
	s.webhooks.Wake()
	req := store.ErasureRequest{Tombstone: tomb, Channel: store.ChannelPortal, ReceivedAt: now, HandledBy: store.ChannelPortal}
	if _, err := s.db.RecordErasureRequest(context.WithoutCancel(ctx), req, s.actor(r)); err != nil {
		s.log.Error("erasure done but not recorded in the register", "tombstone", tomb, "err", err, "request_id", info(r).id)
	}
	if err := s.customer.Destroy(ctx); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.MeDeleted(templates.MeDeletedProps{
		Page:      s.publicPage(i18n.T(r.Context(), i18n.ErasedTitle)),
		Reference: tomb, Backups: s.backupNotice(),
	}))
}

// staleCustomer answers a session whose customer no longer exists (erased
// meanwhile, from another device or by staff): the session ends and the
// person starts from nothing.
func (s *Server) staleCustomer(w http.ResponseWriter, r *http.Request) {
	if err := s.customer.Destroy(r.Context()); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/verify", http.StatusSeeOther)
}

// backupNotice says, from the backup configuration, how long erased data
// may remain in backups taken before the erasure; empty when this server
// makes no backups.
func (s *Server) backupNotice() templates.BackupNotice {
	if s.cfg.Backups == nil {
		return templates.BackupNotice{}
	}
	st := s.cfg.Backups.Status()
	ladder := describeLadder(st.Keep)
	return templates.BackupNotice{Enabled: true, Ladder: ladder.Words, Longest: ladder.Longest, Schedule: st.Schedule, Copy: st.CopyTo != ""}
}

// ladder is a backup retention ladder ("3,7d,4w,12m") in words.
type ladder struct {
	Words   string // "the newest 3 backups and the newest backup of each of the last 7 days, 4 weeks and 12 months"
	Longest string // "about 12 months": how old the oldest kept backup can be
}

// describeLadder puts the ladder of --backup-keep into words for people.
// Something it cannot read is shown as it is.
func describeLadder(keep string) ladder {
	var parts []string
	var longest time.Duration
	longestText := ""
	newest := 0
	for part := range strings.SplitSeq(keep, ",") {
		part = strings.TrimSpace(part)
		if n, err := strconv.Atoi(part); err == nil && n > 0 {
			newest = n // a bare number: the newest n, whatever their age
			continue
		}
		if len(part) < 2 {
			continue
		}
		n, err := strconv.Atoi(part[:len(part)-1])
		if err != nil || n < 1 {
			return ladder{Words: keep, Longest: keep}
		}
		unit, span := "", time.Duration(0)
		switch part[len(part)-1] {
		case 'd':
			unit, span = "day", time.Duration(n)*24*time.Hour
		case 'w':
			unit, span = "week", time.Duration(n)*7*24*time.Hour
		case 'm':
			unit, span = "month", time.Duration(n)*31*24*time.Hour
		default:
			return ladder{Words: keep, Longest: keep}
		}
		text := templates.Count(int64(n), unit, unit+"s")
		parts = append(parts, text)
		if span > longest {
			longest, longestText = span, "about "+text
		}
	}
	switch {
	case len(parts) == 0 && newest <= 1:
		return ladder{Words: "only the newest backup", Longest: "until the next backup replaces it"}
	case len(parts) == 0:
		return ladder{Words: fmt.Sprintf("the newest %d backups", newest), Longest: fmt.Sprintf("%d more backups", newest)}
	}
	words := parts[0]
	if len(parts) > 1 {
		words = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	l := ladder{Words: "the newest backup of each of the last " + words, Longest: longestText}
	if newest > 1 {
		l.Words = fmt.Sprintf("the newest %d backups and ", newest) + l.Words
		l.Longest += fmt.Sprintf(" (or %d more backups, if those take longer)", newest)
	}
	return l
}

// privacyProps is the privacy page: the owner's part of the notice and
// what the running configuration generates (web/privacy_notice.go).
func (s *Server) privacyProps(r *http.Request) (templates.PrivacyProps, error) {
	p, err := s.privacyNotice(r.Context())
	if err != nil {
		return p, err
	}
	if p.ChatConsentVersion, err = s.noticeVersion(p); err != nil {
		return p, err
	}
	p.Page = s.page(r, i18n.T(r.Context(), i18n.FooterPrivacy))
	return p, nil
}

// modelProcessor names the language model's host on the privacy page and
// in the export: it phrases some of the chat assistant's answers.
func modelProcessor(host string) templates.Processor {
	return templates.Processor{Name: "The AI model that writes some chat answers (" + host + ")",
		Purpose: "For a chat question our help articles answer, it phrases the answer from those articles.",
		Data:    "the question, with names, addresses, numbers and other personal data removed first, and the public article sections that match it; nothing about your account or requests"}
}
