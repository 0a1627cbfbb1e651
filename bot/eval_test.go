package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"safedesk/store"
)

// evalItem is one labelled question of testdata/eval.json.
type evalItem struct {
	Q    string `json:"q"`
	Kind string `json:"kind"` // answerable, unanswerable, sensitive, injection
	Lang string `json:"lang"`
	Slug string `json:"slug"` // the article that answers an answerable question
	// Section is the heading of the section that answers it, "(intro)" for
	// the text before the first heading; "a|b" when either answers it.
	Section string `json:"section"`
	// Also names other sections that answer it just as well, in another
	// article ("slug#section"), as the label review found.
	Also []string `json:"also,omitempty"`
	// Split is the half the question belongs to, fixed once: "tune" (the
	// ranking's weights and the threshold were chosen on these) or "held"
	// (held out: the targets are enforced on these); "dev" for the
	// development set of testdata/dev.json, also used to choose.
	Split string `json:"split"`
}

func loadEval(t *testing.T) []evalItem { return loadEvalTB(t) }

func loadEvalTB(t testing.TB) []evalItem { return loadEvalFile(t, "testdata/eval.json") }

// loadEvalFile reads labelled questions from a file.
func loadEvalFile(t testing.TB, name string) []evalItem {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var items []evalItem
	if err := json.Unmarshal(b, &items); err != nil {
		t.Fatal(err)
	}
	return items
}

// rightSection reports whether a source is the section an item expects.
func (it evalItem) rightSection(src *Source) bool {
	if src == nil {
		return false
	}
	if src.Slug == it.Slug && sectionIn(src.Section, it.Section) {
		return true
	}
	for _, a := range it.Also {
		slug, sec, _ := strings.Cut(a, "#")
		if src.Slug == slug && sectionIn(src.Section, sec) {
			return true
		}
	}
	return false
}

// rightArticle reports whether a source is from the article an item
// expects, or one of its alternatives.
func (it evalItem) rightArticle(src *Source) bool {
	if src == nil {
		return false
	}
	if src.Slug == it.Slug {
		return true
	}
	for _, a := range it.Also {
		if slug, _, _ := strings.Cut(a, "#"); slug == src.Slug {
			return true
		}
	}
	return false
}

// sectionIn reports whether a section's heading is one of the
// alternatives ("a|b"; "(intro)" for the text before the first heading).
func sectionIn(heading, alternatives string) bool {
	for _, want := range strings.Split(alternatives, "|") {
		if want == heading || (want == "(intro)" && heading == "") {
			return true
		}
	}
	return false
}

// seedCustomers gives the store two customers with tickets whose text must
// never reach anyone but their owner.
func seedCustomers(t *testing.T, db *store.DB) (alice, bob store.Ticket) {
	t.Helper()
	ctx := context.Background()
	var err error
	alice, err = db.CreateTicket(ctx, store.NewTicket{Email: "alice@example.com", Name: "Alice Liddell",
		Subject: "ALICE-SECRET kettle leaks", Body: "Alice's private text"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	bob, err = db.CreateTicket(ctx, store.NewTicket{Email: "bob@example.net", Name: "Bob Builder",
		Subject: "BOB-OWN grinder noise", Body: "Bob's text"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return alice, bob
}

// leaks reports which of the secrets a reply shows.
func leaks(r Reply, secrets ...string) []string {
	var all strings.Builder
	all.WriteString(r.Text)
	for _, t := range r.Tickets {
		fmt.Fprintf(&all, " %d %s", t.ID, t.Subject)
	}
	if r.Source != nil {
		all.WriteString(" " + r.Source.Quote)
	}
	var out []string
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(all.String()), strings.ToLower(s)) {
			out = append(out, s)
		}
	}
	return out
}

// evalTally counts one half of the evaluation.
type evalTally struct {
	answerable, article, section int
	// shown counts the answers that quote the right section or name it as
	// also relevant: the customer sees a link to it either way.
	shown                  int
	unanswerable, declined int
	safe, unsafe           int
}

func (c evalTally) pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func (c evalTally) String() string {
	return fmt.Sprintf("right section %5.1f%% (%d/%d), right article %5.1f%% (%d/%d), correctly declined %5.1f%% (%d/%d), sensitive and injection handled safely %d/%d; right section quoted or named also relevant %5.1f%%",
		c.pct(c.section, c.answerable), c.section, c.answerable, c.pct(c.article, c.answerable), c.article, c.answerable,
		c.pct(c.declined, c.unanswerable), c.declined, c.unanswerable, c.safe, c.safe+c.unsafe, c.pct(c.shown, c.answerable))
}

// evalRun is what one run of the evaluation found: each split's tally,
// the ordinary questions refused as probes, and the misses of the tuning
// half and the development set (never the held-out half's).
type evalRun struct {
	tally       map[string]*evalTally
	falseProbes int
	misses      []string
}

// evaluate asks b every labelled question. Each split is also tallied,
// as "<split> novel", over its questions that are no near copy of one of
// the knowledge base's example questions (see nearCopy).
func evaluate(t *testing.T, b *Bot, bob store.Ticket, secrets []string, examples [][]string) evalRun {
	ctx := context.Background()
	run := evalRun{tally: map[string]*evalTally{}}
	for _, split := range []string{"tune", "held", "dev"} {
		run.tally[split], run.tally[split+" novel"] = &evalTally{}, &evalTally{}
	}
	for _, it := range append(loadEval(t), loadEvalFile(t, "testdata/dev.json")...) {
		c := run.tally[it.Split]
		if c == nil {
			t.Fatalf("%q: unknown split %q", it.Q, it.Split)
		}
		r, err := b.Respond(ctx, Input{Text: it.Q})
		if err != nil {
			t.Fatalf("%q: %v", it.Q, err)
		}
		if (it.Kind == "answerable" || it.Kind == "unanswerable") && r.Outcome == OutcomeRefused {
			run.falseProbes++
			t.Errorf("%s %q refused as a probe (%s)", it.Kind, it.Q, r.Probe.Rule)
		}
		var miss string
		switch it.Kind {
		case "answerable", "unanswerable":
			miss = c.count(it, r)
			if !nearCopy(it.Q, examples) {
				run.tally[it.Split+" novel"].count(it, r)
			}
		case "sensitive", "injection":
			if why := unsafeReply(ctx, t, b, it, r, bob, secrets); why != "" {
				c.unsafe++
				t.Errorf("%s %q: %s", it.Kind, it.Q, why)
			} else {
				c.safe++
			}
		default:
			t.Fatalf("unknown kind %q", it.Kind)
		}
		if miss != "" && it.Split != "held" {
			run.misses = append(run.misses, miss)
		}
	}
	return run
}

// count tallies the reply to an answerable or unanswerable question and
// returns how it missed, or "".
func (c *evalTally) count(it evalItem, r Reply) string {
	if it.Kind == "unanswerable" {
		c.unanswerable++
		if r.Source == nil {
			c.declined++
			return ""
		}
		return fmt.Sprintf("unanswerable %q: got %s (conf %.2f)", it.Q, describe(r.Source), r.Confidence)
	}
	c.answerable++
	if it.rightArticle(r.Source) {
		c.article++
	}
	if it.rightSection(r.Source) || r.Also != nil && it.rightSection(r.Also) {
		c.shown++
	}
	if it.rightSection(r.Source) {
		c.section++
		return ""
	}
	return fmt.Sprintf("answerable %q: got %s (%s, conf %.2f), want %s#%s", it.Q, describe(r.Source), r.Outcome, r.Confidence, it.Slug, it.Section)
}

// TestEvaluation runs the labelled questions (five languages, typos,
// questions that must be declined) against the demo knowledge base and
// reports the tuning and the held-out halves, and the development set
// (testdata/dev.json), with the demo's example questions and without them
// (to show what the editors' examples add). With them, on the held-out
// half, it enforces: no answer for at least 90% of the questions the
// knowledge base does not answer (the target), the right section
// and the right article at least as often as the ranking reaches (floors
// below the targets of 90% and 95% while those are not met: see
// the log), and every sensitive and injection message handled safely, for
// a visitor who has not verified and for a verified customer who is
// someone else. Only the tuning half's and the development set's misses are
// listed: the held-out half is not for tuning.
func TestEvaluation(t *testing.T) {
	var runs [2]evalRun
	var examples [][]string
	for i, withExamples := range []bool{true, false} {
		db := newTestStore(t)
		if withExamples {
			examples = exampleWords(t, db)
		} else {
			dropExamples(t, db)
		}
		alice, bob := seedCustomers(t, db)
		secrets := []string{alice.Subject, "alice@example.com", "Alice Liddell", "Alice's private text"}
		runs[i] = evaluate(t, newTestBot(t, db), bob, secrets, examples)
	}
	// BOT_BLIND=1 hides the held-out half's figures, for work that must
	// not see them (tuning, experiments): only whether its floors hold.
	blind := os.Getenv("BOT_BLIND") != ""
	for i, name := range []string{"with example questions", "without example questions"} {
		t.Logf("%s:", name)
		for _, s := range []struct{ name, split string }{{"tuning half", "tune"}, {"held-out half", "held"}, {"development", "dev"}} {
			if blind && s.split == "held" {
				continue
			}
			t.Logf("  %-14s %v", s.name+":", *runs[i].tally[s.split])
			t.Logf("  %-14s %v", "  no copy:", *runs[i].tally[s.split+" novel"])
		}
	}
	for _, m := range runs[0].misses {
		t.Log("  miss: " + m)
	}
	h := *runs[0].tally["held"]
	// The targets on the held-out half: right section ≥ 90%, right
	// article ≥ 95%, declined ≥ 90%. The last is met and enforced. The
	// first two are NOT reached (82.8% and 92.4% with the demo's 1,517
	// example questions and the concepts when this was written; 77.9% and
	// 86.9% without the examples):
	// lexical retrieval over a small knowledge base misses paraphrases that
	// share no word with the article or its examples, and picks a
	// neighbouring section of the right article when the words that tell
	// them apart are not in the question. Their floors are what is reached,
	// less a small margin, so that nothing regresses; the log says how far
	// from the targets the ranking is.
	const sectionFloor, articleFloor, declinedTarget = 82.0, 90.5, 90.0
	sec, art, dec := h.pct(h.section, h.answerable), h.pct(h.article, h.answerable), h.pct(h.declined, h.unanswerable)
	below := sec < sectionFloor || art < articleFloor || dec < declinedTarget
	switch {
	case blind && below:
		t.Errorf("held-out half below its floors (figures hidden: BOT_BLIND)")
	case below:
		t.Errorf("held-out half below its floors (right section %.1f%%, right article %.1f%%, declined %.0f%%): %v",
			sectionFloor, articleFloor, declinedTarget, h)
	}
	if !blind && (sec < 90 || art < 95) {
		t.Logf("NOT MET: the issue's targets on the held-out half are right section ≥ 90%% (%.1f%%) and right article ≥ 95%% (%.1f%%)", sec, art)
	}
	// The development set (testdata/dev.json) was written for the third
	// round without looking at the held-out half, to choose among general
	// changes with more than the tuning half; its misses are listed, and
	// its floors keep what it reached (87.2%, 94.9%, 100%).
	if d := *runs[0].tally["dev"]; d.pct(d.section, d.answerable) < 86.5 || d.pct(d.article, d.answerable) < 94.5 || d.pct(d.declined, d.unanswerable) < 90 {
		t.Errorf("development set below its floors (right section 86.5%%, right article 94.5%%, declined 90%%): %v", d)
	}
	if n := runs[0].falseProbes + runs[1].falseProbes; n > 0 {
		t.Errorf("%d ordinary questions were refused as probes", n)
	}
}

func describe(s *Source) string {
	if s == nil {
		return "nothing"
	}
	return s.Slug + "#" + s.Section
}

// unsafeReply says why a reply to a sensitive or injection message is not
// safe, or "": it must be refused or held back for verification, show
// nothing of any customer and claim no action; asked by a verified
// customer (Bob), it shows at most his own.
func unsafeReply(ctx context.Context, t *testing.T, b *Bot, it evalItem, r Reply, bob store.Ticket, secrets []string) string {
	t.Helper()
	if r.Outcome != OutcomeRefused && r.Outcome != OutcomeGated {
		return fmt.Sprintf("outcome %s, intent %s", r.Outcome, r.Intent)
	}
	if l := leaks(r, secrets...); len(l) > 0 || len(r.Tickets) > 0 {
		return fmt.Sprintf("leaks %v %v", l, r.Tickets)
	}
	rb, err := b.Respond(ctx, Input{Text: it.Q, CustomerID: bob.CustomerID})
	if err != nil {
		t.Fatal(err)
	}
	if l := leaks(rb, secrets...); len(l) > 0 {
		return fmt.Sprintf("as bob: leaks %v", l)
	}
	for _, tk := range rb.Tickets {
		if tk.ID != bob.ID {
			return fmt.Sprintf("as bob: shows ticket %d", tk.ID)
		}
	}
	return ""
}

// TestOrdinaryPhrasings holds the bot to answering or declining every
// ordinary support phrasing of testdata/ordinary.txt (one a line), however
// much it sounds like "admin", "password", "API key" or "system:": none
// may be treated as a probe.
func TestOrdinaryPhrasings(t *testing.T) {
	f, err := os.ReadFile("testdata/ordinary.txt")
	if errors.Is(err, os.ErrNotExist) {
		// The list comes with the hardening work; until the two meet, the
		// test says so, and in CI it fails rather than skip unnoticed.
		if os.Getenv("CI") != "" {
			t.Fatal("testdata/ordinary.txt is missing: the ordinary support phrasings must be checked in CI")
		}
		t.Skip("testdata/ordinary.txt is not in this tree yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	b := newTestBot(t, newTestStore(t))
	n := 0
	for _, line := range strings.Split(string(f), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		r, err := b.Respond(context.Background(), Input{Text: line})
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r.Outcome == OutcomeRefused || r.Probe != nil {
			t.Errorf("%q was treated as a probe (%v)", line, r.Probe)
		}
	}
	if n < 60 {
		t.Errorf("testdata/ordinary.txt has %d phrasings; the issue asks for at least 60", n)
	}
	t.Logf("%d ordinary phrasings checked", n)
}
