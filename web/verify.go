package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

const (
	sessNotice = "notice"
	sessNext   = "verify_next" // the local path to open once the address is proven
)

// verify asks for the address, or for the code when one was just sent. A
// next parameter (a local path, such as a ticket's) is kept in the session
// and opened once the address is proven.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if s.customerID(r) != 0 {
		http.Redirect(w, r, cmp.Or(next, "/tickets"), http.StatusSeeOther)
		return
	}
	if next != "" {
		s.customer.Put(r.Context(), sessNext, next)
	}
	pending := s.customer.GetString(r.Context(), sessPending)
	s.render(w, r, http.StatusOK, templates.Verify(templates.VerifyProps{
		Page: s.page(r, i18n.T(r.Context(), i18n.ConfirmEmailTitle)), Email: pending, CodeStep: pending != "",
	}))
}

// toVerify sends a visitor who has not verified an address to /verify,
// which brings them back to the page they asked for (GET only) afterwards.
func (s *Server) toVerify(w http.ResponseWriter, r *http.Request) {
	to := "/verify"
	if next := localPath(r.URL.RequestURI()); next != "" && r.Method == http.MethodGet {
		to += "?" + url.Values{"next": {next}}.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// localPath returns p when it is a path on this site, safe to redirect to:
// it starts with one slash, names no scheme or host, and holds printable
// ASCII only, without backslash or space, also once percent-decoded. Else
// "".
func localPath(p string) string {
	if len(p) > 1024 || !plainPath(p) {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !plainPath(u.Path) {
		return ""
	}
	return p
}

// plainPath reports whether p starts with one slash and holds printable
// ASCII other than space and backslash only.
func plainPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] >= 0x7f || p[i] == '\\' {
			return false
		}
	}
	return true
}

// verifyPost sends a code (field email) or checks one (email and code).
// Whether or not the address has tickets, the answers are the same.
func (s *Server) verifyPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	code := strings.TrimSpace(r.PostForm.Get("code"))
	ctx := r.Context()
	props := templates.VerifyProps{Page: s.page(r, i18n.T(r.Context(), i18n.ConfirmEmailTitle)), Email: email, Code: code}
	if msg := store.ValidateEmail(email); msg != "" {
		props.Errors = localFields(ctx, map[string]string{"email": msg})
		s.render(w, r, http.StatusUnprocessableEntity, templates.Verify(props))
		return
	}
	if code == "" || r.PostForm.Get("resend") != "" {
		s.sendCode(w, r, email)
		return
	}
	if ok, wait := s.allowCodeCheck(r, email); !ok {
		s.codeLimited(w, r, email, wait, true)
		return
	}
	c, err := s.db.CheckCode(ctx, store.CodeCheck{Email: email, Code: code, Session: s.customer.Token(ctx)}, s.actor(r))
	switch {
	case errors.Is(err, store.ErrRateLimited):
		s.codeFailed(r)
		s.codeLimited(w, r, email, store.CodeTTL, true)
		return
	case errors.Is(err, store.ErrCodeInvalid):
		s.codeFailed(r)
		props.CodeStep = true
		props.Errors = map[string]string{"code": i18n.T(ctx, i18n.CodeWrong)}
		s.render(w, r, http.StatusUnprocessableEntity, templates.Verify(props))
		return
	case err != nil:
		s.serveError(w, r, err)
		return
	}
	if err := s.signInCustomer(r, c); err != nil {
		s.serveError(w, r, err)
		return
	}
	if r.PostForm.Get("remember") != "" {
		if err := s.rememberDevice(w, r, c); err != nil {
			s.serveError(w, r, err)
			return
		}
	}
	next, err := s.landing(r, c.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// landing is where a visitor goes once verified as customerID: the page
// kept in the session, or their tickets. A ticket they cannot see (not
// theirs, or not confirmed, as when they entered another code than its
// receipt's) leads to their tickets with a notice, not to a 404.
func (s *Server) landing(r *http.Request, customerID int64) (string, error) {
	ctx := r.Context()
	next := cmp.Or(s.customer.PopString(ctx, sessNext), "/tickets")
	rest, ok := strings.CutPrefix(next, "/tickets/")
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil {
		return next, nil
	}
	_, err = s.db.GetCustomerTicket(ctx, customerID, id)
	if errors.Is(err, store.ErrNotFound) {
		s.customer.Put(ctx, sessNotice, i18n.T(ctx, i18n.NoticeNotYours, id))
		return "/tickets", nil
	}
	return next, err
}

// signInCustomer makes r's session the verified session of c: a new token,
// the customer, their masked address and the client noted.
func (s *Server) signInCustomer(r *http.Request, c store.Customer) error {
	ctx := r.Context()
	if err := s.renewSession(ctx, s.customer); err != nil {
		return err
	}
	s.customer.Remove(ctx, sessPending)
	s.customer.Put(ctx, sessCustomerID, c.ID)
	if err := s.bindCustomerSession(ctx, c.ID); err != nil {
		return err
	}
	s.customer.Put(ctx, sessMasked, security.MaskEmail(c.Email))
	s.noteCustomerClient(r)
	return nil
}

// sendCode mails a new code, or, when the address has had its codes for the
// hour, says which earlier code works again.
func (s *Server) sendCode(w http.ResponseWriter, r *http.Request, email string) {
	ctx := r.Context()
	if ok, wait := s.allowCodeSend(r, email); !ok {
		s.codeLimited(w, r, email, wait, true)
		return
	}
	issued, err := s.db.IssueCode(ctx, store.CodeRequest{Email: email}, s.actor(r))
	switch {
	case errors.Is(err, store.ErrRateLimited) && !issued.Revived.IsZero():
		s.customer.Put(ctx, sessNotice, revivedNotice(i18n.From(ctx), issued.Revived))
	case errors.Is(err, store.ErrRateLimited):
		w.Header().Set("Retry-After", "3600")
		s.render(w, r, http.StatusTooManyRequests, templates.Verify(templates.VerifyProps{
			Page: s.page(r, i18n.T(r.Context(), i18n.ConfirmEmailTitle)), Email: email, CodeStep: true,
			Errors: map[string]string{"code": i18n.T(ctx, i18n.CodesTooMany)},
		}))
		return
	case err != nil:
		s.serveError(w, r, err)
		return
	default:
		s.mail.Send(s.site.Code(i18n.From(ctx), email, issued.Code, false))
	}
	s.customer.Put(ctx, sessPending, email)
	http.Redirect(w, r, "/verify", http.StatusSeeOther)
}

// revivedNotice tells the person that no new code was sent and which
// earlier one works again, in l's language and the business's zone.
func revivedNotice(l i18n.Locale, sent time.Time) string {
	return l.T(i18n.CodeRevived, l.Clock(sent)+" "+l.ZoneName(sent))
}

func (s *Server) signoutPost(w http.ResponseWriter, r *http.Request) {
	if err := s.forgetThisDevice(w, r); err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.customer.Destroy(r.Context()); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
