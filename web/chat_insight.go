package web

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"safedesk/bot/llm"
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
	unsure, unhelpful, err := s.openQuestions(ctx, from)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	feedback, err := s.db.ArticleFeedback(ctx, 20)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	gaps, firsts := s.rankGaps(append(unsure, unhelpful...))
	p := templates.AdminChatInsightProps{AdminPage: s.adminPageProps(r, "Chat insight", "chats"), Days: days, Stats: st,
		Gaps: gaps, Chart: chatChart(st.Days), Feedback: feedback}
	if p.CanEdit = s.currentStaff(r).Role.Can(security.PermKBWrite); p.CanEdit {
		if err := s.offerExamples(ctx, &p, firsts, unhelpful); err != nil {
			s.serveError(w, r, err)
			return
		}
	} else {
		for i := range p.Gaps {
			p.Gaps[i].WriteURL = "" // the editor is not theirs to open
		}
	}
	for _, o := range []struct{ key, label string }{
		{store.ChatOutcomeAnswered, "Answered from an article"}, {store.ChatOutcomeUnsure, "Not sure: offered a person"},
		{store.ChatOutcomeGated, "Private: asked to verify"}, {store.ChatOutcomePrivate, "Private: answered for the customer"},
		{store.ChatOutcomeHandoff, "Asked for a person"}, {store.ChatOutcomeRefused, "Refused (probing)"},
		{store.ChatOutcomeSmalltalk, "Greetings and thanks"}, {store.ChatOutcomeError, "Assistant failed"},
	} {
		p.Outcomes = append(p.Outcomes, templates.OutcomeCount{Label: o.label, Count: st.Outcomes[o.key]})
	}
	p.Model = modelCounts(st.Model, s.chat.modelHost != "")
	s.render(w, r, http.StatusOK, templates.AdminChatInsight(p))
}

// openQuestions are the period's questions the assistant was not sure
// about and those whose answer the customer said did not help, less those
// the knowledge base answers since: made an example question (an article
// written for them, "this is answered by…").
func (s *Server) openQuestions(ctx context.Context, from time.Time) (unsure, unhelpful []store.ChatMessage, err error) {
	if unsure, err = s.db.ListChatMessagesByOutcome(ctx, store.ChatOutcomeUnsure, from, 5000); err != nil {
		return nil, nil, err
	}
	if unhelpful, err = s.db.ListUnhelpfulQuestions(ctx, from, 5000); err != nil {
		return nil, nil, err
	}
	answered, err := s.db.ExampleMatcher(ctx)
	if err != nil {
		return nil, nil, err
	}
	isAnswered := func(m store.ChatMessage) bool { return answered(m.Body) }
	return slices.DeleteFunc(unsure, isAnswered), slices.DeleteFunc(unhelpful, isAnswered), nil
}

// modelCounts lists how many answers the language model wrote and how many
// fell back to the quote, in all and by reason; nothing when no model is
// configured and none was asked in the period.
func modelCounts(counts map[string]int, enabled bool) []templates.OutcomeCount {
	if !enabled && len(counts) == 0 {
		return nil
	}
	fell := 0
	var reasons []templates.OutcomeCount
	for _, r := range llm.Reasons {
		if n := counts[string(r)]; n > 0 {
			fell += n
			reasons = append(reasons, templates.OutcomeCount{Label: "Fell back: " + modelReasons[r], Count: n})
		}
	}
	out := []templates.OutcomeCount{{Label: "Written by the AI model", Count: counts[llm.Used]}, {Label: "Fell back to quoting the article", Count: fell}}
	return append(out, reasons...)
}

// modelReasons say why the model's answer fell back, for the insight page.
var modelReasons = map[llm.Reason]string{
	llm.ReasonTimeout: "too slow", llm.ReasonUnreachable: "not reachable", llm.ReasonStatus: "error or redirect",
	llm.ReasonTooLarge: "answer too long", llm.ReasonBadJSON: "unreadable answer", llm.ReasonUnknownSource: "cited an article it was not given, or none",
	llm.ReasonRefusal: "refused or empty", llm.ReasonNoSections: "no sections",
}

// rankGaps groups unanswered questions by their content words (stemmed),
// a question joining the first group whose words it shares for the most
// part, and ranks the groups by how often they were asked. Addresses and
// phone numbers are masked: the page is about topics, not people. Each
// group links to the article editor with its questions (by id) attached.
// With each group it returns the question that stands for it (the first).
func (s *Server) rankGaps(msgs []store.ChatMessage) ([]templates.ChatGap, []store.ChatMessage) {
	type gap struct {
		g     templates.ChatGap
		words map[string]bool
		ids   []string
		first store.ChatMessage
	}
	var groups []*gap
	seen := map[int64]bool{}
	for _, m := range msgs {
		key := s.chat.bot.QuestionKey(m.Body)
		if key == "" || seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		words := map[string]bool{}
		for _, w := range strings.Fields(key) {
			words[w] = true
		}
		var into *gap
		for _, g := range groups {
			if similar(words, g.words) {
				into = g
				break
			}
		}
		if into == nil {
			into = &gap{g: templates.ChatGap{Question: templates.Clip(security.RedactLog(m.Body), 200), Last: m.CreatedAt}, words: words, first: m}
			groups = append(groups, into)
		}
		into.g.Count++
		if m.CreatedAt.After(into.g.Last) {
			into.g.Last = m.CreatedAt
		}
		if len(into.ids) < 20 {
			into.ids = append(into.ids, strconv.FormatInt(m.ID, 10))
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].g.Count > groups[j].g.Count })
	if len(groups) > insightGaps {
		groups = groups[:insightGaps]
	}
	out := make([]templates.ChatGap, 0, len(groups))
	firsts := make([]store.ChatMessage, 0, len(groups))
	for _, g := range groups {
		g.g.WriteURL = "/admin/kb/new?questions=" + strings.Join(g.ids, ",")
		out = append(out, g.g)
		firsts = append(firsts, g.first)
	}
	return out, firsts
}

// similar reports whether two questions' word sets overlap by at least
// half of the smaller one (and by at least one word).
func similar(a, b map[string]bool) bool {
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return n > 0 && 2*n >= min(len(a), len(b))
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
