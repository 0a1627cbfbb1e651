package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/httpx"
)

// Staff session keys.
const (
	sessStaffID     = "staff_id"
	sessStepUp      = "stepup_at" // time of the last passkey assertion
	sessAdminNotice = "admin_notice"
)

// touchEvery is how often a staff session's last-seen time is written.
const touchEvery = 15 * time.Second

// StepUpWindow is how recent a passkey assertion must be for a sensitive
// action.
const StepUpWindow = 5 * time.Minute

// adminPage serves h to signed-in staff holding p. Each request counts as
// the person's activity.
func (s *Server) adminPage(p security.Permission, h http.HandlerFunc) http.Handler {
	return s.withStaff(true, p, h)
}

// adminPoll is adminPage for background requests (polling, live updates):
// they do not keep an idle session alive.
func (s *Server) adminPoll(p security.Permission, h http.HandlerFunc) http.Handler {
	return s.withStaff(false, p, h)
}

// currentStaff is the signed-in staff member (only inside adminPage).
func (s *Server) currentStaff(r *http.Request) store.Staff {
	if st := info(r).staff; st != nil {
		return *st
	}
	return store.Staff{}
}

// staffActor names the signed-in staff member for the audit log.
func (s *Server) staffActor(r *http.Request) store.Actor {
	return store.Actor{Type: store.ActorStaff, ID: strconv.FormatInt(s.currentStaff(r).ID, 10), ClientIP: clientIP(r)}
}

func (s *Server) withStaff(activity bool, p security.Permission, h http.HandlerFunc) http.Handler {
	return s.staff.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, reason, err := s.checkStaffSession(r, activity)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if st == nil {
			s.toLogin(w, r, reason)
			return
		}
		info(r).staff = st
		if !st.Role.Can(p) {
			s.serveError(w, r, errForbidden)
			return
		}
		h(w, r)
	}))
}

// checkStaffSession validates the staff session: a live row in
// staff_sessions, within the idle and absolute limits, of an active staff
// member. It returns nil and a reason for the sign-in page otherwise.
func (s *Server) checkStaffSession(r *http.Request, activity bool) (*store.Staff, string, error) {
	ctx := r.Context()
	id := s.staff.GetInt64(ctx, sessStaffID)
	if id == 0 {
		// A revoked session's data is deleted, so scs starts an empty one;
		// the cookie still names the old token, whose record says why.
		if c, err := r.Cookie(s.staff.Cookie.Name); err == nil {
			if old, err := s.db.GetStaffSession(ctx, store.TokenHash(c.Value)); err == nil && !old.Live() {
				return nil, old.RevokeReason, nil
			}
		}
		return nil, "", nil
	}
	hash := store.TokenHash(s.staff.Token(ctx))
	sess, err := s.db.GetStaffSession(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", s.staff.Destroy(ctx)
	}
	if err != nil {
		return nil, "", err
	}
	now := s.db.Now()
	reason := ""
	switch {
	case !sess.Live():
		reason = sess.RevokeReason
	case now.Sub(sess.LastSeenAt) > s.cfg.StaffIdle:
		reason = "idle"
	case now.Sub(sess.CreatedAt) > s.cfg.StaffLifetime:
		reason = "expired"
	}
	var st store.Staff
	if reason == "" {
		if st, err = s.db.GetStaff(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", err
		}
		if err != nil || !st.Active() {
			reason = "account disabled"
		}
	}
	if reason != "" {
		if sess.Live() {
			if err := s.db.EndStaffSession(ctx, hash, reason); err != nil {
				return nil, "", err
			}
		}
		return nil, reason, s.staff.Destroy(ctx)
	}
	// Record the person's activity, at most every touchEvery unless the
	// address changed: a write per click would cost more than the page, and
	// the idle limit (minutes) does not need finer steps.
	if activity && (now.Sub(sess.LastSeenAt) >= touchEvery || sess.ClientIP != clientIP(r)) {
		if err := s.db.TouchStaffSession(ctx, hash, clientIP(r)); err != nil {
			return nil, "", err
		}
	}
	return &st, "", nil
}

// toLogin sends a visitor without a valid staff session to sign in.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, reason string) {
	if r.Method != http.MethodGet || isHTMX(r) {
		if isHTMX(r) {
			loc := "/admin/login"
			if reason != "" {
				loc += "?why=" + reasonCode(reason)
			}
			w.Header().Set("HX-Redirect", loc)
		}
		http.Error(w, "sign in again", http.StatusUnauthorized)
		return
	}
	q := url.Values{"next": {r.URL.RequestURI()}}
	if reason != "" {
		q.Set("why", reasonCode(reason))
	}
	http.Redirect(w, r, "/admin/login?"+q.Encode(), http.StatusSeeOther)
}

func reasonCode(reason string) string {
	switch {
	case reason == "idle":
		return "idle"
	case reason == "expired":
		return "expired"
	case strings.Contains(reason, "another device"):
		return "replaced"
	case strings.Contains(reason, "disabled"):
		return "disabled"
	}
	return "revoked"
}

var loginReasons = map[string]string{
	"idle":     "You were signed out after a period of inactivity.",
	"expired":  "Your session reached its maximum length. Please sign in again.",
	"replaced": "You were signed out because your account signed in on another device.",
	"disabled": "This account has been disabled.",
	"revoked":  "This session was ended.",
	"out":      "You are signed out.",
}

// safeNext keeps a post-sign-in redirect inside the admin panel. Control
// characters are refused: browsers drop a TAB or newline from a URL, which
// would turn "/admin\t//host" into another path than the one checked.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") &&
		!strings.ContainsFunc(next, unicode.IsControl) {
		return next
	}
	return "/admin/tickets"
}

func (s *Server) adminLogin(w http.ResponseWriter, r *http.Request) {
	if st, _, err := s.checkStaffSession(r, false); err == nil && st != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	notice := loginReasons[r.URL.Query().Get("why")]
	if n, err := s.db.CountStaff(r.Context()); err != nil {
		s.serveError(w, r, err)
		return
	} else if n == 0 {
		notice = noOwnerYet
	}
	s.render(w, r, http.StatusOK, templates.AdminLogin(templates.AdminLoginProps{
		Product: s.currentBrand().Name, Next: safeNext(r.URL.Query().Get("next")), Notice: notice,
	}))
}

// noOwnerYet is the sign-in page's notice while nobody can sign in.
const noOwnerYet = "Nobody can sign in yet: there is no owner account. On the server, run “safedesk setup-link” " +
	"(with the server's flags or environment) to print a one-time link that creates it."

// adminLoginBegin starts a username-less sign-in: any discoverable passkey
// of this site, with user verification required.
func (s *Server) adminLoginBegin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	opts, sess, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.beginCeremony(r, "login", ceremony{Session: *sess, Next: safeNext(r.PostForm.Get("next"))}); err != nil {
		s.serveError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, opts)
}

// adminLoginFinish checks the assertion and signs the staff member in.
func (s *Server) adminLoginFinish(w http.ResponseWriter, r *http.Request) {
	c, err := s.takeCeremony(r, "login")
	if errors.Is(err, errCeremonyGone) {
		jsonFail(w, http.StatusBadRequest, "This sign-in attempt expired or was already used. Please try again.")
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(r.Body)
	if err != nil {
		s.recordSecurityEvent(r, "passkey.assertion_failed", store.SeverityWarning, map[string]any{"reason": "malformed"})
		jsonFail(w, http.StatusBadRequest, "Your browser sent an answer we could not read.")
		return
	}
	var user *waUser
	var staff store.Staff
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		st, err := s.db.GetStaffByHandle(r.Context(), userHandle)
		if err != nil {
			return nil, err
		}
		u, err := s.loadWAUser(r, st)
		if err != nil {
			return nil, err
		}
		staff, user = st, u
		return u, nil
	}
	cred, err := s.wa.ValidateDiscoverableLogin(handler, c.Session, parsed)
	if err != nil {
		s.assertionFailed(r, user, parsed, err)
		jsonFail(w, http.StatusUnauthorized, "This passkey was not accepted.")
		return
	}
	s.finishSignIn(w, r, staff, user, cred, c.Next)
}

// assertionFailed records why an assertion was refused.
func (s *Server) assertionFailed(r *http.Request, user *waUser, parsed *protocol.ParsedCredentialAssertionData, err error) {
	kind, sev := "passkey.assertion_failed", store.SeverityWarning
	detail := map[string]any{}
	if user == nil {
		kind = "passkey.unknown_credential"
	} else if _, ok := user.passkeyFor(parsed.RawID); !ok {
		kind = "passkey.unknown_credential"
	}
	var perr *protocol.Error
	if errors.As(err, &perr) {
		detail["reason"] = perr.Details
		if strings.Contains(perr.Details, "Backup Eligible") {
			kind, sev = "passkey.backup_eligible_changed", store.SeverityCritical
		}
	}
	s.recordSecurityEvent(r, kind, sev, detail)
}

// finishSignIn checks what the library leaves to us (a sign count that went
// backwards, a disabled account, the session policy), stores the new
// counter and starts the session with a new token.
func (s *Server) finishSignIn(w http.ResponseWriter, r *http.Request, st store.Staff, user *waUser, cred *webauthn.Credential, next string) {
	ctx := r.Context()
	pk, ok := user.passkeyFor(cred.ID)
	if !ok {
		s.recordSecurityEvent(r, "passkey.unknown_credential", store.SeverityWarning, nil)
		jsonFail(w, http.StatusUnauthorized, "This passkey was not accepted.")
		return
	}
	if cred.Authenticator.CloneWarning {
		s.recordSecurityEvent(r, "passkey.sign_count_regressed", store.SeverityCritical,
			map[string]any{"staff": st.ID, "passkey": pk.ID, "stored": pk.SignCount, "got": cred.Authenticator.SignCount})
		jsonFail(w, http.StatusUnauthorized, "This passkey was refused because it may have been copied. Contact an administrator.")
		return
	}
	if !st.Active() {
		s.recordSecurityEvent(r, "staff.disabled_sign_in", store.SeverityWarning, map[string]any{"staff": st.ID})
		jsonFail(w, http.StatusForbidden, "This account has been disabled.")
		return
	}
	b, err := json.Marshal(cred)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.db.RecordPasskeyUse(ctx, pk.ID, b, cred.Authenticator.SignCount, cred.Flags.BackupState); err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.startStaffSession(r, st); errors.Is(err, store.ErrSessionExists) {
		jsonFail(w, http.StatusConflict, "You are already signed in on another device. Sign out there first, or ask an administrator to end that session.")
		return
	} else if err != nil {
		s.serveError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
}

// startStaffSession renews the token (a token planted before sign-in is
// worthless after it) and records the session under the policy.
func (s *Server) startStaffSession(r *http.Request, st store.Staff) error {
	ctx := r.Context()
	if err := s.renewSession(ctx, s.staff); err != nil {
		return err
	}
	sess := store.StaffSession{TokenHash: store.TokenHash(s.staff.Token(ctx)), StaffID: st.ID, Device: deviceName(r.UserAgent()), ClientIP: clientIP(r)}
	a := store.Actor{Type: store.ActorStaff, ID: strconv.FormatInt(st.ID, 10), ClientIP: clientIP(r)}
	if _, err := s.db.StartStaffSession(ctx, sess, s.cfg.StaffSessions, s.cfg.StaffIdle, s.cfg.StaffLifetime, a); err != nil {
		return err
	}
	s.staff.Put(ctx, sessStaffID, st.ID)
	s.staff.Put(ctx, sessStepUp, s.db.Now())
	return nil
}

func (s *Server) adminLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var endErr error
	if s.staff.GetInt64(ctx, sessStaffID) != 0 {
		endErr = s.db.EndStaffSession(ctx, store.TokenHash(s.staff.Token(ctx)), "signed out")
	}
	// The browser's session goes even when its record could not be closed.
	if err := errors.Join(endErr, s.staff.Destroy(ctx)); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/login?why=out", http.StatusSeeOther)
}

// stepUpFresh reports whether the staff member asserted a passkey within
// StepUpWindow.
func (s *Server) stepUpFresh(r *http.Request) bool {
	t, ok := s.staff.Get(r.Context(), sessStepUp).(time.Time)
	return ok && s.db.Now().Sub(t) < StepUpWindow
}

// requireStepUp wraps a sensitive action: without a recent passkey
// assertion, the browser is asked for one and the same request (method,
// path and form) is sent again afterwards.
func (s *Server) requireStepUp(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.stepUpFresh(r) {
			h(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			s.serveError(w, r, formError(err))
			return
		}
		var fields []templates.Field
		for k, vs := range r.PostForm {
			for _, v := range vs {
				fields = append(fields, templates.Field{Name: k, Value: v})
			}
		}
		s.render(w, r, http.StatusUnauthorized, templates.AdminStepUp(templates.AdminStepUpProps{
			AdminPage: s.adminPageProps(r, "Confirm it's you", ""), Method: r.Method, Action: r.URL.RequestURI(), Fields: fields,
		}))
	}
}

func (s *Server) stepUpBegin(w http.ResponseWriter, r *http.Request) {
	u, err := s.loadWAUser(r, s.currentStaff(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	opts, sess, err := s.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.beginCeremony(r, "stepup", ceremony{Session: *sess, StaffID: s.currentStaff(r).ID}); err != nil {
		s.serveError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, opts)
}

func (s *Server) stepUpFinish(w http.ResponseWriter, r *http.Request) {
	st := s.currentStaff(r)
	c, u, ok := s.ownCeremony(w, r, "stepup", "This confirmation expired or was already used. Please try again.")
	if !ok {
		return
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(r.Body)
	if err != nil {
		jsonFail(w, http.StatusBadRequest, "Your browser sent an answer we could not read.")
		return
	}
	cred, err := s.wa.ValidateLogin(u, c.Session, parsed)
	if err != nil {
		s.assertionFailed(r, u, parsed, err)
		jsonFail(w, http.StatusUnauthorized, "This passkey was not accepted.")
		return
	}
	pk, _ := u.passkeyFor(cred.ID)
	if cred.Authenticator.CloneWarning {
		s.recordSecurityEvent(r, "passkey.sign_count_regressed", store.SeverityCritical, map[string]any{"staff": st.ID, "passkey": pk.ID})
		jsonFail(w, http.StatusUnauthorized, "This passkey was refused because it may have been copied.")
		return
	}
	b, err := json.Marshal(cred)
	if err == nil {
		err = s.db.RecordPasskeyUse(r.Context(), pk.ID, b, cred.Authenticator.SignCount, cred.Flags.BackupState)
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	// A step-up raises privilege: renew the token and move the
	// staff_sessions row along with it.
	old := store.TokenHash(s.staff.Token(r.Context()))
	if err := s.renewSession(r.Context(), s.staff); err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.db.RekeyStaffSession(r.Context(), old, store.TokenHash(s.staff.Token(r.Context()))); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.staff.Put(r.Context(), sessStepUp, s.db.Now())
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"ok": "stepped up"})
}

// ownCeremony takes the signed-in staff member's ceremony of kind and loads
// their passkeys. On failure it has answered (gone is the message for an
// expired, reused or foreign ceremony) and reports false.
func (s *Server) ownCeremony(w http.ResponseWriter, r *http.Request, kind, gone string) (ceremony, *waUser, bool) {
	st := s.currentStaff(r)
	c, err := s.takeCeremony(r, kind)
	if errors.Is(err, errCeremonyGone) || (err == nil && c.StaffID != st.ID) {
		jsonFail(w, http.StatusBadRequest, gone)
		return ceremony{}, nil, false
	}
	if err != nil {
		s.serveError(w, r, err)
		return ceremony{}, nil, false
	}
	u, err := s.loadWAUser(r, st)
	if err != nil {
		s.serveError(w, r, err)
		return ceremony{}, nil, false
	}
	return c, u, true
}
