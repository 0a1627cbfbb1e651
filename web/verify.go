package web

import (
	"errors"
	"net/http"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/mail"
)

const sessNotice = "notice"

// verify asks for the address, or for the code when one was just sent.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if s.customerID(r) != 0 {
		http.Redirect(w, r, "/tickets", http.StatusSeeOther)
		return
	}
	pending := s.customer.GetString(r.Context(), sessPending)
	s.render(w, r, http.StatusOK, templates.Verify(templates.VerifyProps{
		Page: s.page(r, "Confirm your email"), Email: pending, CodeStep: pending != "",
	}))
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
	props := templates.VerifyProps{Page: s.page(r, "Confirm your email"), Email: email, Code: code}
	if msg := store.ValidateEmail(email); msg != "" {
		props.Errors = map[string]string{"email": msg}
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
	c, err := s.db.CheckCode(ctx, email, code, s.actor(r))
	if errors.Is(err, store.ErrCodeInvalid) {
		s.codeFailed(r)
		props.CodeStep = true
		props.Errors = map[string]string{"code": "That code is wrong or has expired. Check the newest email from us, or ask for a new code."}
		s.render(w, r, http.StatusUnprocessableEntity, templates.Verify(props))
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.renewSession(ctx, s.customer); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.customer.Remove(ctx, sessPending)
	s.customer.Put(ctx, sessCustomerID, c.ID)
	if err := s.bindCustomerSession(ctx, c.ID); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.customer.Put(ctx, sessMasked, security.MaskEmail(c.Email))
	s.noteCustomerClient(r)
	http.Redirect(w, r, "/tickets", http.StatusSeeOther)
}

func (s *Server) sendCode(w http.ResponseWriter, r *http.Request, email string) {
	ctx := r.Context()
	if ok, wait := s.allowCodeSend(r, email); !ok {
		s.codeLimited(w, r, email, wait, true)
		return
	}
	code, err := s.db.IssueCode(ctx, email, s.actor(r))
	if errors.Is(err, store.ErrRateLimited) {
		w.Header().Set("Retry-After", "3600")
		s.render(w, r, http.StatusTooManyRequests, templates.Verify(templates.VerifyProps{
			Page: s.page(r, "Confirm your email"), Email: email, CodeStep: true,
			Errors: map[string]string{"code": "We have sent several codes to this address in the last hour. Use the newest one, or try again later."},
		}))
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.mail.Send(codeMail(s, email, code, "Enter it at"))
	s.customer.Put(ctx, sessPending, email)
	http.Redirect(w, r, "/verify", http.StatusSeeOther)
}

// codeMail is the mail with a one-time code; enter says where to type it,
// before the link to /verify: the portal's says "Enter it at", the chat's
// (chatEnterCode) names the chat first.
func codeMail(s *Server, to, code, enter string) mail.Message {
	return mail.Message{Kind: "code", To: to, Subject: "[" + s.cfg.Product + "] Your code: " + code, Text: "Hello,\n\nyour code to confirm this email address is:\n\n    " + code +
		"\n\n" + enter + " " + s.site.Link("/verify") + " . It is valid for 10 minutes.\n\n" +
		"Never share this code. Nobody from our team will ask you for it.\n" +
		"If you did not ask for a code, you can ignore this email.\n\n" + s.cfg.Product + " support\n"}
}

func (s *Server) signoutPost(w http.ResponseWriter, r *http.Request) {
	if err := s.customer.Destroy(r.Context()); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
