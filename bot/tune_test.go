package bot

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// tuneBot is a bot over the demo knowledge base, without its example
// questions if BOT_NOEX is set.
func tuneBot(t testing.TB) *Bot {
	t.Helper()
	db := newTestStore(t)
	if os.Getenv("BOT_NOEX") != "" {
		dropExamples(t, db)
	}
	return newTestBot(t, db)
}

// TestTuneSets runs only the tuning half and the development set, for work
// on the ranking: it never runs a held-out question. BOT_TUNE=1 enables it;
// BOT_NOEX=1 removes the example questions first.
func TestTuneSets(t *testing.T) {
	if os.Getenv("BOT_TUNE") == "" {
		t.Skip("BOT_TUNE=1 runs the tuning half and the development set alone")
	}
	b := tuneBot(t)
	tally := map[string]*evalTally{"tune": {}, "dev": {}}
	for _, it := range append(loadEval(t), loadEvalFile(t, "testdata/dev.json")...) {
		c := tally[it.Split]
		if c == nil || it.Kind != "answerable" && it.Kind != "unanswerable" {
			continue
		}
		r, err := b.Respond(context.Background(), Input{Text: it.Q})
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == "answerable" {
			c.answerable++
			if it.rightArticle(r.Source) {
				c.article++
			}
			if it.rightSection(r.Source) {
				c.section++
			} else {
				t.Log(fmt.Sprintf("miss %s %q: got %s (%.2f), want %s#%s", it.Split, it.Q, describe(r.Source), r.Confidence, it.Slug, it.Section))
			}
			continue
		}
		c.unanswerable++
		if r.Source == nil {
			c.declined++
		} else {
			t.Log(fmt.Sprintf("miss %s unanswerable %q: got %s (%.2f)", it.Split, it.Q, describe(r.Source), r.Confidence))
		}
	}
	t.Logf("tuning half: %v", *tally["tune"])
	t.Logf("development: %v", *tally["dev"])
}

// TestExplain prints the features of the sections ranked for BOT_EXPLAIN's
// question (one of the tuning half or the development set).
func TestExplain(t *testing.T) {
	q := os.Getenv("BOT_EXPLAIN")
	if q == "" {
		t.Skip("BOT_EXPLAIN=question prints its ranking")
	}
	b := tuneBot(t)
	rk, err := b.ret.rank(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rk.q.groups {
		t.Logf("group %q w=%.2f alts=%v", g.word, g.weight, g.alts)
	}
	t.Logf("asks %b after %v langs %b", rk.q.asks, rk.q.after, rk.q.langs)
	for i, h := range rk.hits {
		if i == 8 {
			break
		}
		s := rk.name(h)
		line := fmt.Sprintf("%.3f conf %.2f %s#%s:", h.rank, h.conf, s.Slug, s.Section)
		for k, v := range h.f {
			if v != 0 {
				line += fmt.Sprintf(" %s=%.2f", featureNames[k], v)
			}
		}
		t.Log(line)
	}
}
