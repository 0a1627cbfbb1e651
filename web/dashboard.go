package web

import (
	"net/http"
	"slices"
	"time"

	"safedesk/store"
	"safedesk/templates"
)

// dashboardPeriods are the windows the dashboard offers, in days.
var dashboardPeriods = []int{7, 30, 90}

// adminDashboard is the owner's view of the team: new tickets by channel,
// median first response and resolution, the backlog by age, and the same
// per agent, over the last 7, 30 or 90 days. Each chart is drawn on the
// server, with a table of the same figures beside it.
func (s *Server) adminDashboard(w http.ResponseWriter, r *http.Request) {
	days := int(optionalInt(r.URL.Query().Get("days")))
	if !slices.Contains(dashboardPeriods, days) {
		days = 30
	}
	st, err := s.db.TeamStats(r.Context(), days)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	_, names, err := s.staffNames(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p := templates.DashboardProps{AdminPage: s.adminPageProps(r, "Dashboard", "dashboard"), Days: days, Periods: dashboardPeriods, Stats: st,
		FirstResponse: store.Median(st.FirstResponse), Resolution: store.Median(st.Resolution)}
	var agentNames []string
	var first, resolution []time.Duration
	for _, a := range st.Agents {
		name := "Unassigned"
		if a.StaffID != 0 {
			name = staffName(names, a.StaffID)
		}
		row := templates.AgentRow{Name: name, Stats: a, FirstResponse: store.Median(a.FirstResponse), Resolution: store.Median(a.Resolution)}
		p.Agents = append(p.Agents, row)
		if a.StaffID != 0 {
			agentNames, first, resolution = append(agentNames, name), append(first, row.FirstResponse), append(resolution, row.Resolution)
		}
	}
	p.Charts = templates.DashboardCharts{Volume: templates.VolumeChart(st), Backlog: templates.BacklogChart(st),
		Agents: templates.AgentChart(agentNames, first, resolution)}
	s.render(w, r, http.StatusOK, templates.Dashboard(p))
}
