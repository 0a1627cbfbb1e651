package web

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// insightGaps is how many unanswered questions the insight page ranks.
const insightGaps = 30

// adminChatInsight shows how the chat does: conversations the assistant
// answered without a person (deflection), hand-offs, tickets, a daily chart
// drawn on the server as SVG, and the questions it could not answer,
// grouped and ranked, to show where the knowledge base has gaps.
func (s *Server) adminChatInsight(w http.ResponseWriter, r *http.Request) {
	days := int(optionalInt(r.URL.Query().Get("days")))
	switch days {
	case 7, 30, 90:
	default:
		days = 30
	}
	ctx := r.Context()
	now := s.db.Now()
	from := now.AddDate(0, 0, -days+1)
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	st, err := s.db.ChatStats(ctx, from, now, time.UTC)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	unsure, err := s.db.ListChatMessagesByOutcome(ctx, store.ChatOutcomeUnsure, from, 5000)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p := templates.AdminChatInsightProps{AdminPage: s.adminPageProps(r, "Chat insight", "chats"), Days: days, Stats: st,
		Gaps: s.rankGaps(unsure), Chart: chatChart(st.Days)}
	for _, o := range []struct{ key, label string }{
		{store.ChatOutcomeAnswered, "Answered from an article"}, {store.ChatOutcomeUnsure, "Not sure: offered a person"},
		{store.ChatOutcomeGated, "Private: asked to verify"}, {store.ChatOutcomePrivate, "Private: answered for the customer"},
		{store.ChatOutcomeHandoff, "Asked for a person"}, {store.ChatOutcomeRefused, "Refused (probing)"},
		{store.ChatOutcomeSmalltalk, "Greetings and thanks"}, {store.ChatOutcomeError, "Assistant failed"},
	} {
		p.Outcomes = append(p.Outcomes, templates.OutcomeCount{Label: o.label, Count: st.Outcomes[o.key]})
	}
	s.render(w, r, http.StatusOK, templates.AdminChatInsight(p))
}

// rankGaps groups unanswered questions by their content words and ranks the
// groups by how often they were asked, then how recently. Addresses and
// phone numbers are masked: the page is about topics, not people.
func (s *Server) rankGaps(msgs []store.ChatMessage) []templates.ChatGap {
	groups := map[string]*templates.ChatGap{}
	var order []string
	for _, m := range msgs { // newest first
		key := s.chat.bot.QuestionKey(m.Body)
		if key == "" {
			continue
		}
		g := groups[key]
		if g == nil {
			g = &templates.ChatGap{Question: templates.Clip(security.RedactLog(m.Body), 200), Last: m.CreatedAt}
			groups[key] = g
			order = append(order, key)
		}
		g.Count++
	}
	out := make([]templates.ChatGap, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	if len(out) > insightGaps {
		out = out[:insightGaps]
	}
	return out
}

// chatChart lays out the daily bars: for each day the engaged
// conversations, of which those answered without a person (deflected) and
// those handed to a person.
func chatChart(days []store.ChatDay) templates.ChatChart {
	const width, height, top, bottom, left = 720, 220, 10, 30, 30
	c := templates.ChatChart{Width: width, Height: height}
	for _, d := range days {
		c.Max = max(c.Max, d.Engaged)
	}
	scale := c.Max
	if scale == 0 {
		scale = 1
	}
	n := max(len(days), 1)
	slot := (width - left) / n
	bar := max(slot*3/4, 2)
	plot := height - top - bottom
	h := func(v int) int { return v * plot / scale }
	for i, d := range days {
		x := left + i*slot
		day := d.Day.Format("2 Jan")
		c.Bars = append(c.Bars,
			templates.ChartBar{X: x, Y: top + plot - h(d.Engaged), W: bar, H: h(d.Engaged), Class: "engaged",
				Title: day + ": " + strconv.Itoa(d.Engaged) + " conversations"},
			templates.ChartBar{X: x, Y: top + plot - h(d.Deflected), W: bar / 2, H: h(d.Deflected), Class: "deflected",
				Title: day + ": " + strconv.Itoa(d.Deflected) + " answered without a person"},
			templates.ChartBar{X: x + bar/2, Y: top + plot - h(d.HandedOff), W: bar - bar/2, H: h(d.HandedOff), Class: "handed",
				Title: day + ": " + strconv.Itoa(d.HandedOff) + " handed to a person"},
		)
		if n <= 10 || i%(n/7+1) == 0 {
			c.Labels = append(c.Labels, templates.ChartLabel{X: x, Y: height - 10, Text: day})
		}
	}
	c.Labels = append(c.Labels, templates.ChartLabel{X: 0, Y: top + 10, Text: strconv.Itoa(c.Max)},
		templates.ChartLabel{X: 0, Y: top + plot, Text: "0"})
	return c
}
