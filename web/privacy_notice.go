package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// noticeForm is the privacy notice section of the settings page as saved.
func (s *Server) noticeForm(r *http.Request) (templates.AdminNoticeForm, error) {
	n, saved, err := s.db.GetPrivacyNotice(r.Context())
	if err != nil {
		return templates.AdminNoticeForm{}, err
	}
	v, err := s.consentVersion(r.Context())
	if err != nil {
		return templates.AdminNoticeForm{}, err
	}
	return templates.AdminNoticeForm{CanManage: s.currentStaff(r).Role.Can(security.PermOwnersManage), Notice: n, Version: v, Incomplete: !saved}, nil
}

// adminPrivacyNoticePost saves the owner's part of the privacy notice;
// the chat's consent version follows from it (consentVersion).
func (s *Server) adminPrivacyNoticePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	f := r.PostForm
	n := store.PrivacyNotice{
		Controller: f.Get("controller"), Address: f.Get("address"), Contact: f.Get("contact"), DPO: f.Get("dpo"),
		Authority: f.Get("authority"), AuthorityURL: f.Get("authority_url"),
		BasisTickets: f.Get("basis_tickets"), BasisChat: f.Get("basis_chat"), BasisEmail: f.Get("basis_email"),
		BasisBackups: f.Get("basis_backups"), BasisSecurity: f.Get("basis_security"),
	}
	err := s.db.SavePrivacyNotice(r.Context(), n, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		form, ferr := s.noticeForm(r)
		if ferr != nil {
			s.serveError(w, r, ferr)
			return
		}
		form.Notice, form.Errors = n, verr.Fields
		s.renderSettings(w, r, http.StatusUnprocessableEntity, settingsForm{banner: s.bannerText(), notice: &form}, nil, nil)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Privacy notice saved. Every chat asks for consent to this version before its next message.")
	http.Redirect(w, r, "/admin/settings#privacy-notice", http.StatusSeeOther)
}

// privacyNotice is the privacy page's content without the page: the
// owner's part and what the configuration generates.
func (s *Server) privacyNotice(ctx context.Context) (templates.PrivacyProps, error) {
	n, _, err := s.db.GetPrivacyNotice(ctx)
	if err != nil {
		return templates.PrivacyProps{}, err
	}
	b := s.currentBrand()
	if n.Controller == "" {
		n.Controller = b.Name
	}
	if n.Contact == "" {
		n.Contact = mailAddress(s.cfg.MailFrom) // until the owner names one
	}
	p := templates.PrivacyProps{
		Notice: n, Site: b.Site, BaseURL: s.cfg.BaseURL.String(), Contact: s.cfg.MailFrom,
		CustomerIdle: s.cfg.CustomerIdle, CustomerLifetime: s.cfg.CustomerLifetime, CodeTTL: store.CodeTTL,
		TicketRetention: s.cfg.Privacy.Retention.ResolvedTickets, SecurityRetention: s.cfg.Privacy.Retention.SecurityEvents,
		ChatRetention: s.cfg.ChatRetention, Backups: s.backupNotice(), NotifyText: s.cfg.Privacy.NotifyText,
		HTTPS: s.secure, EmailChannel: s.inbox != nil,
		DeviceFor: store.DeviceLifetime, LanguageFor: langCookieFor, AnsweredFor: answeredFor,
	}
	if s.cfg.MailRelay != "" {
		p.Processors = append(p.Processors, templates.Processor{Kind: templates.ProcessorRelay, Host: relayHost(s.cfg.MailRelay),
			NotifyText: s.cfg.Privacy.NotifyText, EmailChannel: p.EmailChannel})
	}
	if p.EmailChannel {
		p.Processors = append(p.Processors, emailProcessor(s.cfg.Email.Options))
	}
	if h := s.chat.modelHost; h != "" {
		p.ChatModelHost = h
		p.Processors = append(p.Processors, modelProcessor(h))
	}
	return p, nil
}

// relayHost is the mail relay's host name alone: never its scheme, port
// or user; "" when it has none (the notice then says "our provider").
func relayHost(relay string) string {
	if u, err := url.Parse(relay); err == nil {
		return u.Hostname()
	}
	return ""
}

// consentVersion names the privacy notice a chat visitor agrees to:
// the chat policy (ChatPolicyVersion, with "+ai:" and the model's host when
// one is on) and a digest of everything the notice says (the
// owner's part and the generated part), so that any change to it, by the
// owner or by the configuration, makes a new version, and new chats ask
// for consent to it.
func (s *Server) consentVersion(ctx context.Context) (string, error) {
	p, err := s.privacyNotice(ctx)
	if err != nil {
		return "", err
	}
	return s.noticeVersion(p)
}

// noticeVersion is consentVersion of p, the notice as privacyNotice made it.
// It digests the notice's facts (the configuration's periods, flags and
// host names, and the owner's part as they wrote it), which is all p holds
// before the page's props are added: never its wording in a reader's
// language, so that the version is the same in every language and a
// visitor who switches language is not asked again. A change of the
// catalog's wording that changes what the notice says is a change of
// ChatPolicyVersion.
func (s *Server) noticeVersion(p templates.PrivacyProps) (string, error) {
	p.Page = templates.Page{}
	b, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return s.chat.policy + "." + hex.EncodeToString(sum[:4]), nil
}
