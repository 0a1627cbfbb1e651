package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/monitor"
)

// maxAgentMessage caps a staff member's chat message, in characters.
const maxAgentMessage = 4000

// adminChatList is the staff queue: conversations waiting for a person
// (longest waiting first) and those with an agent, then recent ones.
func (s *Server) adminChatList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.mon.SweepChats(ctx) // settle any hand-off whose time is up before showing the queue
	live, err := s.db.ListConversations(ctx, store.ChatFilter{Statuses: []string{store.ChatStatusWaiting, store.ChatStatusAgent}, Limit: 100})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	recent, err := s.db.ListConversations(ctx, store.ChatFilter{Statuses: []string{store.ChatStatusBot, store.ChatStatusClosed}, Limit: 30})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	me := s.currentStaff(r)
	prefs, err := s.db.GetStaffPrefs(ctx, me.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p := templates.AdminChatListProps{AdminPage: s.adminPageProps(r, "Chats", "chats"),
		CanStats: me.Role.Can(security.PermReportsRead), Availability: s.availability(me, prefs, "/admin/chats")}
	if p.Rows, err = s.chatRows(r, live, true); err != nil {
		s.serveError(w, r, err)
		return
	}
	if p.Closed, err = s.chatRows(r, recent, false); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminChatList(p))
}

func (s *Server) chatRows(r *http.Request, cs []store.Conversation, preview bool) ([]templates.AdminChatRow, error) {
	ctx := r.Context()
	now := s.db.Now()
	mask := s.maskTranscript(r)
	out := make([]templates.AdminChatRow, 0, len(cs))
	for _, c := range cs {
		row := templates.AdminChatRow{Conversation: c}
		if c.CustomerID != 0 {
			cust, err := s.db.GetCustomer(ctx, c.CustomerID)
			if err != nil {
				return nil, err
			}
			row.Customer = security.MaskEmail(cust.Email)
		}
		if c.AssigneeID != 0 {
			row.Assignee = s.staffName(r, c.AssigneeID)
		}
		if c.Status == store.ChatStatusWaiting {
			row.WaitingFor = now.Sub(c.HandoffAt)
		}
		if preview {
			msgs, err := s.db.ListChatMessages(ctx, c.ID, 0)
			if err != nil {
				return nil, err
			}
			for i := len(msgs) - 1; i >= 0; i-- {
				if msgs[i].Author == store.ChatAuthorVisitor {
					row.Preview = templates.Clip(mask(msgs[i].Body), 140)
					break
				}
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// staffName is a staff member's name for the chat views; "an agent" when
// the account is gone, or cannot be read (which is logged: a transcript
// still shows).
func (s *Server) staffName(r *http.Request, id int64) string {
	st, err := s.db.GetStaff(r.Context(), id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("chat: staff name", "staff", id, "err", err, "request_id", info(r).id)
		}
		return "an agent"
	}
	return st.Name
}

// maskTranscript returns what chat text goes through before a staff member
// reads it: nothing for a role that may reveal personal data, otherwise
// security.RedactLog, which masks the addresses and phone numbers typed in
// it (the same masking the rest of the panel applies).
func (s *Server) maskTranscript(r *http.Request) func(string) string {
	if s.currentStaff(r).Role.Can(security.PermPIIReveal) {
		return func(text string) string { return text }
	}
	return security.RedactLog
}

// staffLines renders messages for staff: who wrote each, and what the
// assistant made of the visitor's messages, masked for roles that may not
// see personal data.
func (s *Server) staffLines(r *http.Request, msgs []store.ChatMessage) []templates.ChatLine {
	names := map[int64]string{}
	lines := chatLines(msgs, func(m store.ChatMessage) string {
		switch m.Author {
		case store.ChatAuthorVisitor:
			return "Customer"
		case store.ChatAuthorBot:
			return "Assistant"
		case store.ChatAuthorAgent:
			if _, ok := names[m.StaffID]; !ok {
				names[m.StaffID] = s.staffName(r, m.StaffID)
			}
			return names[m.StaffID]
		}
		return ""
	})
	mask := s.maskTranscript(r)
	for i := range lines {
		lines[i].Body = mask(lines[i].Body)
	}
	return lines
}

// adminConversation loads the conversation in the path.
func (s *Server) adminConversation(r *http.Request) (store.Conversation, error) {
	return byID(r, s.db.GetConversation)
}

func (s *Server) adminChatView(w http.ResponseWriter, r *http.Request) {
	c, err := s.adminConversation(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if c, err = s.mon.SettleHandoff(r.Context(), c); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderAdminChat(w, r, http.StatusOK, c, "", "")
}

func (s *Server) renderAdminChat(w http.ResponseWriter, r *http.Request, status int, c store.Conversation, reply, errMsg string) {
	msgs, err := s.db.ListChatMessages(r.Context(), c.ID, 0)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p := templates.AdminChatViewProps{AdminPage: s.adminPageProps(r, "Chat #"+strconv.FormatInt(c.ID, 10), "chats"),
		Conversation: c, Lines: s.staffLines(r, msgs), Reply: reply, Error: errMsg,
		Mine: c.Status == store.ChatStatusAgent && c.AssigneeID == s.currentStaff(r).ID}
	if c.CustomerID != 0 {
		cust, err := s.db.GetCustomer(r.Context(), c.CustomerID)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		p.Customer = security.MaskEmail(cust.Email)
	}
	if c.AssigneeID != 0 {
		p.Assignee = s.staffName(r, c.AssigneeID)
	}
	s.render(w, r, status, templates.AdminChatView(p))
}

// adminChatTakePost lets an agent take a conversation over; the visitor sees
// that an agent has joined.
func (s *Server) adminChatTakePost(w http.ResponseWriter, r *http.Request) {
	c, err := s.adminConversation(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	st := s.currentStaff(r)
	joined := []store.NewChatMessage{monitor.Line(store.ChatAuthorSystem, monitor.LineAgentJoined)}
	_, _, err = s.db.TakeConversation(r.Context(), c.ID, st.ID, joined, s.staffActor(r))
	if errors.Is(err, store.ErrConflict) {
		s.flash(r, "This conversation has already been taken or has ended.")
	} else if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/chats/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// adminChatReplyPost sends the agent's message to the visitor.
func (s *Server) adminChatReplyPost(w http.ResponseWriter, r *http.Request) {
	c, err := withForm(r, s.adminConversation)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	st := s.currentStaff(r)
	text := strings.TrimSpace(r.PostForm.Get("message"))
	var problem string
	switch {
	case c.Status != store.ChatStatusAgent || c.AssigneeID != st.ID:
		problem = "Take the conversation over before you reply."
	case text == "":
		problem = "Type a message first."
	case utf8.RuneCountInString(text) > maxAgentMessage:
		problem = "Keep chat messages under " + strconv.Itoa(maxAgentMessage) + " characters."
	}
	if problem != "" {
		s.renderAdminChat(w, r, http.StatusUnprocessableEntity, c, text, problem)
		return
	}
	msg := store.NewChatMessage{Author: store.ChatAuthorAgent, StaffID: st.ID, Body: text}
	if _, err := s.db.AddChatMessages(r.Context(), c.ID, []store.NewChatMessage{msg}, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.adminChatFragment(w, r, c, false)
		return
	}
	http.Redirect(w, r, "/admin/chats/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// adminChatClosePost ends a conversation.
func (s *Server) adminChatClosePost(w http.ResponseWriter, r *http.Request) {
	c, err := s.adminConversation(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	bye := []store.NewChatMessage{monitor.Line(store.ChatAuthorSystem, monitor.LineAgentEnded)}
	if _, _, err := s.db.CloseConversation(r.Context(), c.ID, store.ChatClosedAgent, bye, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/chats/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// adminChatPoll answers the staff view's poller with new messages. It is a
// poll route: it never keeps an idle staff session alive.
func (s *Server) adminChatPoll(w http.ResponseWriter, r *http.Request) {
	c, err := s.adminConversation(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.adminChatFragment(w, r, c, true)
}

func (s *Server) adminChatFragment(w http.ResponseWriter, r *http.Request, c store.Conversation, poll bool) {
	after := formAfter(r)
	msgs, err := s.db.ListChatMessages(r.Context(), c.ID, after)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	last := after
	if n := len(msgs); n > 0 {
		last = msgs[n-1].ID
	}
	changed := r.FormValue("status") != c.Status
	if poll && len(msgs) == 0 && !changed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminChatUpdate(templates.AdminChatUpdateProps{
		Conversation: c, Lines: s.staffLines(r, msgs), LastID: last, Poll: poll, Changed: changed,
		Mine: c.Status == store.ChatStatusAgent && c.AssigneeID == s.currentStaff(r).ID,
	}))
}
