package web

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/mail"
)

func (s *Server) adminStaffList(w http.ResponseWriter, r *http.Request) {
	s.renderStaff(w, r, http.StatusOK, "", "agent", "", nil)
}

func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, status int, email, role, link string, errs map[string]string) {
	members, err := s.db.ListStaff(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	me := s.currentStaff(r)
	p := templates.AdminStaffListProps{
		AdminPage: s.adminPageProps(r, "Staff", "staff"), Members: members, Roles: security.Roles,
		CanManage: me.Role.Can(security.PermStaffManage), CanOwners: me.Role.Can(security.PermOwnersManage),
		InviteEmail: email, InviteRole: role, InviteLink: link, Errors: errs,
	}
	if p.MailProblems, err = s.staffMailProblems(r.Context(), members); err != nil { // web/workday.go
		s.serveError(w, r, err)
		return
	}
	if p.CanManage {
		if p.Invites, err = s.db.ListInvites(r.Context()); err != nil {
			s.serveError(w, r, err)
			return
		}
	}
	s.render(w, r, status, templates.AdminStaffList(p))
}

// adminStaffInviteRevokePost revokes an invite that was not used yet: its
// link then answers as a used one. Only owners may revoke an owner's
// invite, as only they may send one.
func (s *Server) adminStaffInviteRevokePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, errNotFound)
		return
	}
	invites, err := s.db.ListInvites(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	i := slices.IndexFunc(invites, func(inv store.Invite) bool { return inv.ID == id })
	switch {
	case i < 0:
		s.flash(r, "That invitation was already used, revoked or expired.")
	case invites[i].Role == security.RoleOwner && !s.currentStaff(r).Role.Can(security.PermOwnersManage):
		s.serveError(w, r, errForbidden)
		return
	default:
		if err := s.db.RevokeInvite(r.Context(), id, s.staffActor(r)); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.serveError(w, r, err)
			return
		}
		s.flash(r, "The invitation for "+invites[i].Email+" is revoked: its link no longer works.")
	}
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

// adminStaffInvitePost invites someone by email. Only owners may invite
// owners.
func (s *Server) adminStaffInvitePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	email, role := strings.TrimSpace(r.PostForm.Get("email")), security.Role(r.PostForm.Get("role"))
	if role == security.RoleOwner && !s.currentStaff(r).Role.Can(security.PermOwnersManage) {
		s.serveError(w, r, errForbidden)
		return
	}
	token, err := s.db.CreateInvite(r.Context(), email, role, s.currentStaff(r).ID, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderStaff(w, r, http.StatusUnprocessableEntity, email, string(role), "", verr.Fields)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	link := s.site.Link("/admin/invite/" + token)
	s.mail.Send(mail.Message{Kind: "invite", To: email, Subject: fmt.Sprintf("[%s] You are invited to the support team", s.site.Name()),
		Text: fmt.Sprintf("Hello,\n\n%s invited you to join %s as %s.\n\nOpen this link within 24 hours to create your account with a passkey:\n\n%s\n\n"+
			"The link works once. There is no password: your device signs you in.\n", s.currentStaff(r).Name, s.site.Name(), role.Label(), link)})
	s.renderStaff(w, r, http.StatusOK, "", "agent", link, nil)
}

// targetStaff loads the staff member in the path and checks that the
// signed-in person may manage them: admins manage everyone but owners.
func (s *Server) targetStaff(r *http.Request) (store.Staff, error) {
	t, err := byID(r, s.db.GetStaff)
	if err != nil {
		return store.Staff{}, err
	}
	if t.Role == security.RoleOwner && !s.currentStaff(r).Role.Can(security.PermOwnersManage) {
		return store.Staff{}, errForbidden
	}
	return t, nil
}

// adminStaffRolePost changes a role. SetStaffRole ends the person's sessions
// in the same transaction, so that the new role takes effect with a fresh
// sign-in (and a fresh token).
func (s *Server) adminStaffRolePost(w http.ResponseWriter, r *http.Request) {
	t, err := withForm(r, s.targetStaff)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	role := security.Role(r.PostForm.Get("role"))
	if role == security.RoleOwner && !s.currentStaff(r).Role.Can(security.PermOwnersManage) {
		s.serveError(w, r, errForbidden)
		return
	}
	if err := s.db.SetStaffRole(r.Context(), t.ID, role, s.staffActor(r)); err != nil {
		s.staffActionError(w, r, err)
		return
	}
	s.flash(r, fmt.Sprintf("%s is now %s.", t.Name, role.Label()))
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

func (s *Server) adminStaffDisablePost(w http.ResponseWriter, r *http.Request) {
	s.setDisabled(w, r, true)
}
func (s *Server) adminStaffEnablePost(w http.ResponseWriter, r *http.Request) {
	s.setDisabled(w, r, false)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	t, err := s.targetStaff(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.db.SetStaffDisabled(r.Context(), t.ID, disabled, s.staffActor(r)); err != nil {
		s.staffActionError(w, r, err)
		return
	}
	if disabled {
		s.flash(r, t.Name+" is disabled; their sessions have ended.")
	} else {
		s.flash(r, t.Name+" can sign in again.")
	}
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

func (s *Server) staffActionError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *store.ValidationError
	switch {
	case errors.Is(err, store.ErrLastOwner):
		s.renderStaff(w, r, http.StatusConflict, "", "agent", "", map[string]string{"role": "There must always be at least one active owner."})
	case errors.As(err, &verr):
		s.renderStaff(w, r, http.StatusUnprocessableEntity, "", "agent", "", verr.Fields)
	default:
		s.serveError(w, r, err)
	}
}

func (s *Server) adminSessions(w http.ResponseWriter, r *http.Request) {
	st := s.currentStaff(r)
	pks, err := s.db.ListPasskeys(r.Context(), st.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sessions, err := s.db.ListStaffSessions(r.Context(), st.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminSessions(templates.AdminSessionsProps{
		AdminPage: s.adminPageProps(r, "Your passkeys and sessions", ""), Passkeys: pks, Sessions: sessions,
		Current: store.TokenHash(s.staff.Token(r.Context())),
	}))
}

func (s *Server) adminSessionRevokePost(w http.ResponseWriter, r *http.Request) {
	hash, err := hex.DecodeString(r.PathValue("hash"))
	if err != nil {
		s.serveError(w, r, errNotFound)
		return
	}
	if err := s.db.RevokeStaffSession(r.Context(), s.currentStaff(r).ID, hash, "ended by its owner", s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Session ended.")
	http.Redirect(w, r, "/admin/sessions", http.StatusSeeOther)
}

// adminSessionRevokeAllPost signs the person out everywhere, this browser
// included.
func (s *Server) adminSessionRevokeAllPost(w http.ResponseWriter, r *http.Request) {
	if _, err := s.db.RevokeStaffSessions(r.Context(), s.currentStaff(r).ID, nil, "signed out everywhere", s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.staff.Destroy(r.Context()); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/login?why=out", http.StatusSeeOther)
}

func (s *Server) adminPasskeyRenamePost(w http.ResponseWriter, r *http.Request) {
	id, err := withForm(r, pathID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	err = s.db.RenamePasskey(r.Context(), s.currentStaff(r).ID, id, r.PostForm.Get("name"), s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.flash(r, "A passkey needs a name of at most 60 characters.")
	} else if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/sessions", http.StatusSeeOther)
}

func (s *Server) adminPasskeyRemovePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	err = s.db.RemovePasskey(r.Context(), s.currentStaff(r).ID, id, s.staffActor(r))
	switch {
	case errors.Is(err, store.ErrLastPasskey):
		s.flash(r, "Your last passkey cannot be removed: add another one first.")
	case err != nil:
		s.serveError(w, r, err)
		return
	default:
		s.flash(r, "Passkey removed.")
	}
	http.Redirect(w, r, "/admin/sessions", http.StatusSeeOther)
}
