package web

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"safedesk/templates"
)

// No double answers: a ticket's page polls every few seconds, saying
// whether its person is writing a reply, and shows who else has the ticket
// open and who is writing. The marks live in memory: they are about the
// last seconds, and one process serves every staff member.

// presenceTTL is how long a mark lasts without a new poll.
const presenceTTL = 20 * time.Second

// presence holds, per ticket, when each staff member last reported.
type presence struct {
	mu    sync.Mutex
	now   func() time.Time
	marks map[int64]map[int64]presenceMark // ticket → staff → mark
}

type presenceMark struct {
	at      time.Time
	writing bool
}

func newPresence(now func() time.Time) *presence {
	return &presence{now: now, marks: map[int64]map[int64]presenceMark{}}
}

// mark notes that staffID has ticket open, writing or not, and returns the
// others who have it open: their ids with whether they are writing.
func (p *presence) mark(ticket, staffID int64, writing bool) map[int64]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for t, m := range p.marks { // forget old marks, so the map stays small
		for id, mk := range m {
			if now.Sub(mk.at) > presenceTTL {
				delete(m, id)
			}
		}
		if len(m) == 0 {
			delete(p.marks, t)
		}
	}
	if p.marks[ticket] == nil {
		p.marks[ticket] = map[int64]presenceMark{}
	}
	p.marks[ticket][staffID] = presenceMark{at: now, writing: writing}
	others := map[int64]bool{}
	for id, mk := range p.marks[ticket] {
		if id != staffID {
			others[id] = mk.writing
		}
	}
	return others
}

// ticketPresence marks the signed-in person on ticket id and describes the
// others for the page.
func (s *Server) ticketPresence(r *http.Request, id int64, writing bool, names map[int64]string) templates.TicketPresence {
	others := s.presence.mark(id, s.currentStaff(r).ID, writing)
	p := templates.TicketPresence{TicketID: id}
	for staffID, w := range others {
		p.Others = append(p.Others, templates.PresentStaff{Name: staffName(names, staffID), Writing: w})
	}
	slices.SortFunc(p.Others, func(a, b templates.PresentStaff) int { return strings.Compare(a.Name, b.Name) })
	return p
}

// staffName is a staff member's name for presence, "A colleague" when
// unknown.
func staffName(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "A colleague"
}

// adminTicketPresence answers a ticket page's poll: the person's mark
// (writing=1 while they type), and who else is there. A poll route: it
// never keeps an idle session alive.
func (s *Server) adminTicketPresence(w http.ResponseWriter, r *http.Request) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	_, names, err := s.staffNames(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.TicketPresenceBox(s.ticketPresence(r, t.ID, r.URL.Query().Get("writing") == "1", names)))
}
