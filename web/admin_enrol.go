package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/httpx"
)

// Enrolment: the owner setup link (kind "setup", token in the query) and
// staff invites (kind "invite", token in the path) both lead to a page that
// registers the person's first passkey.

func enrolToken(r *http.Request) (kind, token string) {
	if t := r.PathValue("token"); t != "" {
		return "invite", t
	}
	return "setup", r.URL.Query().Get("token")
}

func enrolPaths(kind, token string) (begin, finish string) {
	if kind == "invite" {
		return "/admin/invite/" + token + "/begin", "/admin/invite/" + token + "/finish"
	}
	return "/admin/setup/begin?token=" + token, "/admin/setup/finish?token=" + token
}

// enrolPage shows the enrolment form, or a clear error for a used, expired
// or unknown link.
func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request) {
	kind, token := enrolToken(r)
	inv, err := s.db.GetInvite(r.Context(), kind, token)
	if err != nil {
		s.enrolError(w, r, err)
		return
	}
	begin, finish := enrolPaths(kind, token)
	s.render(w, r, http.StatusOK, templates.AdminEnrol(templates.AdminEnrolProps{
		Product: s.currentBrand().Name, Kind: kind, Email: inv.Email, Role: inv.Role.Label(), BeginURL: begin, FinishURL: finish,
	}))
}

func (s *Server) enrolError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusNotFound, "This link is not valid. Check that you copied all of it."
	switch {
	case errors.Is(err, store.ErrInviteUsed):
		status, msg = http.StatusGone, "This link has already been used. Each link works once: ask for a new one."
	case errors.Is(err, store.ErrInviteReplaced):
		status, msg = http.StatusGone, "This link was replaced by a newer link: use the newest one (run “safedesk setup-link” on the server for a fresh one)."
	case errors.Is(err, store.ErrInviteExpire):
		status, msg = http.StatusGone, "This link has expired. Ask for a new one (setup links last 1 hour, invites 24 hours)."
	case !errors.Is(err, store.ErrNotFound):
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, status, templates.AdminMessage(templates.AdminMessageProps{Product: s.currentBrand().Name, Title: "Link not usable", Message: msg}))
}

// enrolBegin validates the form and starts a passkey registration.
func (s *Server) enrolBegin(w http.ResponseWriter, r *http.Request) {
	kind, token := enrolToken(r)
	inv, err := s.db.GetInvite(r.Context(), kind, token)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInviteUsed), errors.Is(err, store.ErrInviteExpire):
		jsonFail(w, http.StatusGone, "This link is no longer valid.")
		return
	case err != nil:
		s.serveError(w, r, err) // logged: a fault, not a bad link
		return
	}
	if err := r.ParseForm(); err != nil {
		jsonFail(w, http.StatusBadRequest, "We could not read the form.")
		return
	}
	c := ceremony{Kind: kind, Token: token, Name: strings.TrimSpace(r.PostForm.Get("name")),
		Email: strings.TrimSpace(r.PostForm.Get("email")), PasskeyName: strings.TrimSpace(r.PostForm.Get("passkey_name")), Handle: newUserHandle()}
	if inv.Email != "" {
		c.Email = inv.Email
	}
	if err := (store.Enrollment{Name: c.Name, Email: c.Email}).Validate(); err != nil {
		var verr *store.ValidationError
		errors.As(err, &verr)
		httpx.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "Please correct the form.", "fields": verr.Fields})
		return
	}
	u := &waUser{handle: c.Handle, name: c.Email, display: c.Name}
	opts, sess, err := s.wa.BeginRegistration(u, registrationOptions(nil)...)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c.Session = *sess
	if err := s.beginCeremony(r, "enrol", c); err != nil {
		s.serveError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, opts)
}

// enrolFinish checks the new credential, spends the link and signs in.
func (s *Server) enrolFinish(w http.ResponseWriter, r *http.Request) {
	kind, token := enrolToken(r)
	c, err := s.takeCeremony(r, "enrol")
	if errors.Is(err, errCeremonyGone) || (err == nil && (c.Token != token || c.Kind != kind)) {
		jsonFail(w, http.StatusBadRequest, "This registration expired or was already used. Please start again.")
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(r.Body)
	if err != nil {
		jsonFail(w, http.StatusBadRequest, "Your browser sent an answer we could not read.")
		return
	}
	u := &waUser{handle: c.Handle, name: c.Email, display: c.Name}
	cred, err := s.wa.CreateCredential(u, c.Session, parsed)
	if err != nil {
		s.recordSecurityEvent(r, "passkey.registration_failed", store.SeverityWarning, map[string]any{"kind": kind})
		jsonFail(w, http.StatusBadRequest, "The passkey could not be registered. Your device must support passkeys with a PIN, fingerprint or face check.")
		return
	}
	pk, err := newPasskey(cred, c.PasskeyName)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	st, err := s.db.EnrollStaff(r.Context(), kind, token, store.Enrollment{Name: c.Name, Email: c.Email, UserHandle: c.Handle, Passkey: pk},
		store.Actor{ClientIP: clientIP(r)})
	switch {
	case errors.Is(err, store.ErrInviteUsed), errors.Is(err, store.ErrInviteExpire), errors.Is(err, store.ErrNotFound):
		jsonFail(w, http.StatusGone, "This link is no longer valid.")
		return
	case errors.Is(err, store.ErrStaffExists):
		jsonFail(w, http.StatusConflict, "A staff member with this email address already exists.")
		return
	case err != nil:
		s.serveError(w, r, err)
		return
	}
	if err := s.startStaffSession(r, st); err != nil {
		s.serveError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/admin/tickets"})
}

// passkeyAddBegin registers another passkey for the signed-in staff member.
func (s *Server) passkeyAddBegin(w http.ResponseWriter, r *http.Request) {
	st := s.currentStaff(r)
	u, err := withForm(r, func(r *http.Request) (*waUser, error) { return s.loadWAUser(r, st) })
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	opts, sess, err := s.wa.BeginRegistration(u, registrationOptions(u.creds)...)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.beginCeremony(r, "addkey", ceremony{Session: *sess, StaffID: st.ID, PasskeyName: r.PostForm.Get("passkey_name")}); err != nil {
		s.serveError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, opts)
}

func (s *Server) passkeyAddFinish(w http.ResponseWriter, r *http.Request) {
	st := s.currentStaff(r)
	c, u, ok := s.ownCeremony(w, r, "addkey", "This registration expired or was already used. Please start again.")
	if !ok {
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(r.Body)
	if err != nil {
		jsonFail(w, http.StatusBadRequest, "Your browser sent an answer we could not read.")
		return
	}
	cred, err := s.wa.CreateCredential(u, c.Session, parsed)
	if err != nil {
		jsonFail(w, http.StatusBadRequest, "The passkey could not be registered.")
		return
	}
	pk, err := newPasskey(cred, c.PasskeyName)
	if err == nil {
		err = s.db.AddPasskey(r.Context(), st.ID, pk, s.staffActor(r))
	}
	if errors.Is(err, store.ErrConflict) {
		jsonFail(w, http.StatusConflict, "This passkey is already registered.")
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/admin/sessions"})
}

// SetupURL is the one-time owner setup link for token, on the site at base.
func SetupURL(base *url.URL, token string) string {
	u := *base
	u.Path = "/admin/setup"
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

// FirstRun is what a start with no staff account says about the owner
// setup link: a new Link, or, when one printed before is unused and still
// valid, when it was made and until when it works (only its hash is
// stored, so it cannot be printed again). Zero when there is staff.
type FirstRun struct {
	Link      string
	LiveSince time.Time
	LiveUntil time.Time
}

// FirstSetupLink issues an owner setup link when no staff account exists
// yet, as on a first start. A link printed before (by an earlier start or
// `safedesk setup-link`) that is unused and valid is kept: a restart must
// not break the link someone is opening. Shell access to the server is the
// root of trust: the link goes to its log.
func FirstSetupLink(ctx context.Context, db *store.DB, base *url.URL) (FirstRun, error) {
	n, err := db.CountStaff(ctx)
	if err != nil || n > 0 {
		return FirstRun{}, err
	}
	live, err := db.LiveSetupLink(ctx)
	if err == nil {
		return FirstRun{LiveSince: live.CreatedAt, LiveUntil: live.ExpiresAt}, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return FirstRun{}, err
	}
	token, err := db.CreateSetupLink(ctx, store.SystemActor)
	if err != nil {
		return FirstRun{}, err
	}
	return FirstRun{Link: SetupURL(base, token)}, nil
}
