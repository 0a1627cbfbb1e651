package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// The staff workday (issue 15): each person's notification choices and
// availability for chats; web/notify mails the notifications.

// initWorkday readies the workday's parts when the server starts: the
// presence tracker, and the business hours that the store counts due times
// in (--business-hours; none configured: every hour counts).
func (s *Server) initWorkday(ctx context.Context) error {
	s.presence = newPresence(s.db.Now)
	var cal store.Calendar
	if s.cfg.ChatHours != nil {
		cal = s.cfg.ChatHours
	}
	return s.db.SetCalendar(ctx, cal)
}

// adminMyNotifications is the signed-in person's own page of notification
// choices and availability: every role has one.
func (s *Server) adminMyNotifications(w http.ResponseWriter, r *http.Request) {
	s.renderMyNotifications(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderMyNotifications(w http.ResponseWriter, r *http.Request, status int, typed map[string]string, errs map[string]string) {
	me := s.currentStaff(r)
	prefs, err := s.db.GetStaffPrefs(r.Context(), me.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if typed != nil {
		prefs.Deliver = typed
	}
	var events []templates.NotifyChoice
	for _, e := range store.NotifyEvents {
		if c, ok := notifyChoice(me.Role, e); ok {
			c.Mode = prefs.Deliver[e]
			events = append(events, c)
		}
	}
	s.render(w, r, status, templates.MyNotifications(templates.MyNotificationsProps{
		AdminPage: s.adminPageProps(r, "Your notifications", ""), Email: me.Email, Events: events, Errors: errs,
		MailFailure: prefs.MailFailure, MailFailedAt: prefs.MailFailedAt,
		Availability: s.availability(me, prefs, "/admin/me/notifications"),
	}))
}

// notifyChoice describes event for a person of role; ok is false for an
// event that role never hears of.
func notifyChoice(role security.Role, event string) (templates.NotifyChoice, bool) {
	c := templates.NotifyChoice{Event: event}
	switch event {
	case store.NotifyNewTicket:
		c.Label, c.Hint = "A new ticket nobody is assigned to", "Number, masked customer and a link; never the text."
	case store.NotifyCustomerReply:
		c.Label = "A customer replies on a ticket assigned to you"
	case store.NotifyAssigned:
		c.Label = "Someone assigns a ticket to you"
	case store.NotifyChatWaiting:
		c.Label, c.Hint = "A chat waits for a person", "The visitor waits a few minutes at most, so this is worth it only at once."
		return c, role.Can(security.PermChatsHandle)
	case store.NotifyDueSoon:
		c.Label, c.Hint = "A due time is about to be missed", "For your tickets, or for unassigned ones."
	}
	return c, role.Can(security.PermTicketsWrite)
}

// adminMyNotificationsPost saves the person's choices.
func (s *Server) adminMyNotificationsPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	me := s.currentStaff(r)
	deliver := map[string]string{}
	for _, e := range store.NotifyEvents {
		if _, ok := notifyChoice(me.Role, e); ok && r.PostForm.Has(e) {
			deliver[e] = r.PostForm.Get(e)
		}
	}
	err := s.db.SetNotifyPrefs(r.Context(), me.ID, deliver, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderMyNotifications(w, r, http.StatusUnprocessableEntity, deliver, verr.Fields)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Your notification choices are saved.")
	http.Redirect(w, r, "/admin/me/notifications", http.StatusSeeOther)
}

// availability is the availability toggle for me, back to next; nil for a
// role that does not take chats.
func (s *Server) availability(me store.Staff, prefs store.StaffPrefs, next string) *templates.Availability {
	if !me.Role.Can(security.PermChatsHandle) {
		return nil
	}
	return &templates.Availability{Available: prefs.Available, Next: next, Idle: s.cfg.StaffIdle}
}

// adminAvailablePost marks the person available for chats, or away.
func (s *Server) adminAvailablePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	on := r.PostForm.Get("available") == "1"
	if err := s.db.SetAvailable(r.Context(), s.currentStaff(r).ID, on); err != nil {
		s.serveError(w, r, err)
		return
	}
	if on {
		s.flash(r, "You are available for chats: visitors who ask for a person are told someone can join.")
	} else {
		s.flash(r, "You are away: visitors are not promised you.")
	}
	next := localPath(r.PostForm.Get("next"))
	if next == "" {
		next = "/admin/me/notifications"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// personAvailable reports whether a visitor may be promised a person now:
// within the business hours, if any are configured, and someone who takes
// chats is marked available and has used the panel within the staff idle
// limit (so is still signed in).
func (s *Server) personAvailable(ctx context.Context, now time.Time) (bool, error) {
	if !s.chat.hours.Open(now) {
		return false, nil
	}
	staff, err := s.db.AvailableStaff(ctx, now.Add(-s.cfg.StaffIdle))
	if err != nil {
		return false, err
	}
	for _, role := range staff {
		if role.Can(security.PermChatsHandle) {
			return true, nil
		}
	}
	return false, nil
}

// staffMailProblems says, for the staff page, whom notifications do not
// reach: no address, or the relay refused the last mail for good.
func (s *Server) staffMailProblems(ctx context.Context, members []store.Staff) (map[int64]string, error) {
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	prefs, err := s.db.ListStaffPrefs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, m := range members {
		switch p := prefs[m.ID]; {
		case m.Email == "" || p.MailFailure == "no address":
			out[m.ID] = "no address: notifications cannot reach them"
		case p.MailFailure != "":
			out[m.ID] = "mail refused " + p.MailFailedAt.UTC().Format("2 Jan 15:04 UTC") + " (" + p.MailFailure + ")"
		}
	}
	return out, nil
}
