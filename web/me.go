package web

import (
	"context"
	"net/http"
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
	return templates.BackupNotice{Enabled: true, Keep: st.Keep, Schedule: st.Schedule, Copy: st.CopyTo != ""}
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
	return templates.Processor{Kind: templates.ProcessorModel, Host: host}
}
