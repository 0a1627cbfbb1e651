package web

import (
	"context"
	"net/http"
	"strings"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// chatLanguage is the language a new chat speaks: the one its consent
// form was shown in (the page's interface language), else the request's.
func chatLanguage(r *http.Request) string {
	if l := r.PostForm.Get("lang"); i18n.Supported(l) {
		return l
	}
	return i18n.From(r.Context()).Lang
}

// consentStale reports whether the privacy notice changed since the
// visitor of c consented: the next message must wait for their consent to
// the new one.
func (s *Server) consentStale(ctx context.Context, c store.Conversation) (bool, error) {
	version, err := s.consentVersion(ctx)
	if err != nil {
		return false, err
	}
	return c.ConsentVersion != version, nil
}

// chatReconsent answers the consent form of an open conversation whose
// consent is for an older notice (chatReconsent in the templates): with the
// box ticked it records the consent to the current notice (audited) and
// then answers the message the visitor had typed, which the form kept;
// without it, the form comes back with the message.
func (s *Server) chatReconsent(w http.ResponseWriter, r *http.Request, c store.Conversation) {
	ctx := r.Context()
	version, err := s.consentVersion(ctx)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if c.ConsentVersion == version {
		http.Redirect(w, r, "/chat", http.StatusSeeOther)
		return
	}
	text := strings.TrimSpace(r.PostForm.Get("message"))
	if r.PostForm.Get("consent") != "yes" {
		s.chatRefuse(w, r, http.StatusUnprocessableEntity, c, templates.ChatComposer{Text: text, MaxRunes: s.chat.bot.MaxRunes(),
			Reconsent: true, Error: i18n.T(ctx, i18n.ChatReconsentError)})
		return
	}
	if c, err = s.db.RenewChatConsent(ctx, c.ID, version, s.actor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if text == "" {
		http.Redirect(w, r, "/chat#chat-composer", http.StatusSeeOther)
		return
	}
	if !s.chatAccept(w, r, c, text) {
		return
	}
	if _, _, err = s.chatTurn(r, c, text); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/chat#chat-composer", http.StatusSeeOther)
}
