package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strings"
	"testing"

	"safedesk/security"
)

// trainItem is one question of the tuning half or the development set as
// the ranking sees it: the features of the sections it ranked, which of
// them answer it, and each one's confidence.
type trainItem struct {
	answerable bool
	feats      []features
	right      []bool
	conf       []float64
	fold       int
}

// newTrainItem is a question ranked as rk, in fold, with right telling
// the sections that answer it.
func newTrainItem(rk ranked, answerable bool, fold int, right func(hit) bool) trainItem {
	ti := trainItem{answerable: answerable, fold: fold}
	for _, h := range rk.hits {
		ti.feats = append(ti.feats, h.f)
		ti.right = append(ti.right, right(h))
		ti.conf = append(ti.conf, h.conf)
	}
	return ti
}

// trainFolds is the number of folds of the cross-validation.
const trainFolds = 5

// trainingSet ranks the tuning half and the development set (never a
// held-out question) with b and returns their features.
func trainingSet(t testing.TB, b *Bot) []trainItem {
	t.Helper()
	var out []trainItem
	for _, it := range append(loadEvalTB(t), loadEvalFile(t, "testdata/dev.json")...) {
		if it.Split == "held" || it.Kind != "answerable" && it.Kind != "unanswerable" {
			continue
		}
		msg, _ := security.Redact(it.Q)
		rk, err := b.ret.rank(context.Background(), msg)
		if err != nil {
			t.Fatal(err)
		}
		h := fnv.New32a()
		h.Write([]byte(it.Q))
		answerable := it.Kind == "answerable"
		out = append(out, newTrainItem(rk, answerable, int(h.Sum32()%trainFolds), func(hit hit) bool {
			src := rk.name(hit)
			return answerable && it.rightSection(&src)
		}))
	}
	return out
}

// trainScore is what weights w reach on items: right sections among the
// answerable ones (answered with at least the threshold's confidence, and
// regardless of it), and declined among the others.
type trainScore struct{ answerable, right, rightAny, unanswerable, declined int }

func (s trainScore) String() string {
	return fmt.Sprintf("section %5.1f%% (any confidence %5.1f%%), declined %5.1f%%",
		100*float64(s.right)/float64(max(s.answerable, 1)), 100*float64(s.rightAny)/float64(max(s.answerable, 1)),
		100*float64(s.declined)/float64(max(s.unanswerable, 1)))
}

func (s *trainScore) add(o trainScore) {
	s.answerable += o.answerable
	s.right += o.right
	s.rightAny += o.rightAny
	s.unanswerable += o.unanswerable
	s.declined += o.declined
}

// top is the section weights w rank first (the first of equals, as the
// ranking's stable sort keeps them), or -1.
func (ti trainItem) top(w *features) int {
	best, bestS := -1, math.Inf(-1)
	for i := range ti.feats {
		if s := ti.feats[i].dot(w); s > bestS {
			best, bestS = i, s
		}
	}
	return best
}

func evalWeights(items []trainItem, w *features, threshold float64) trainScore {
	var s trainScore
	for _, ti := range items {
		top := ti.top(w)
		if !ti.answerable {
			s.unanswerable++
			if top < 0 || ti.conf[top] < threshold {
				s.declined++
			}
			continue
		}
		s.answerable++
		if top >= 0 && ti.right[top] {
			s.rightAny++
			if ti.conf[top] >= threshold {
				s.right++
			}
		}
	}
	return s
}

// splitFold returns the items of every fold but f, and those of f.
func splitFold(items []trainItem, f int) (train, test []trainItem) {
	for _, ti := range items {
		if ti.fold == f {
			test = append(test, ti)
		} else {
			train = append(train, ti)
		}
	}
	return train, test
}

// crossValidate returns what weights trained with lambda on all folds but
// one reach on that one, summed over the folds.
func crossValidate(items, extra []trainItem, prior *features, lambda, threshold float64) trainScore {
	var total trainScore
	for f := range trainFolds {
		train, test := splitFold(items, f)
		w := trainWeights(append(train, extra...), prior, lambda)
		total.add(evalWeights(test, &w, threshold))
	}
	return total
}

// balanced is the figure the threshold is chosen by: the share of
// answerable questions answered with the right section plus the share of
// the others declined, the two targets counting alike.
func (s trainScore) balanced() float64 {
	return float64(s.right)/float64(max(s.answerable, 1)) + float64(s.declined)/float64(max(s.unanswerable, 1))
}

// thresholds are the confidences the threshold is chosen from.
func thresholds() []float64 {
	var out []float64
	for t := 0.30; t < 0.555; t += 0.01 {
		out = append(out, math.Round(t*100)/100)
	}
	return out
}

// bestThreshold is the threshold with the best balanced figure on items
// (the lowest of equals).
func bestThreshold(items []trainItem, w *features) float64 {
	best, bestV := 0.0, -1.0
	for _, t := range thresholds() {
		if v := evalWeights(items, w, t).balanced(); v > bestV {
			best, bestV = t, v
		}
	}
	return best
}

// crossValidateThreshold returns what the threshold chosen on all folds
// but one reaches on that one, summed over the folds.
func crossValidateThreshold(items []trainItem, w *features) trainScore {
	var total trainScore
	for f := range trainFolds {
		train, test := splitFold(items, f)
		total.add(evalWeights(test, w, bestThreshold(train, w)))
	}
	return total
}

// trainLambdas are the regularisation strengths the cross-validation
// chooses from.
var trainLambdas = []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10}

// TestTrainRanker retrains the ranking's weights (BOT_TRAIN=1): it reports
// the cross-validated figures of the hand weights and of the learned ones
// for each regularisation strength, and prints rankWeights trained on all
// of the tuning half and the development set with the best one.
func TestTrainRanker(t *testing.T) {
	if os.Getenv("BOT_TRAIN") == "" {
		t.Skip("BOT_TRAIN=1 retrains the ranking's weights")
	}
	b := tuneBot(t)
	b.ret.sc.w = handWeights
	items := trainingSet(t, b)
	var extra []trainItem
	if os.Getenv("BOT_TRAIN_EX") != "" {
		extra = exampleTrainingSet(t)
		t.Logf("example questions as training questions: %d", len(extra))
	}
	thr := b.opts.Threshold
	t.Logf("hand weights:            %v", evalWeights(items, &handWeights, thr))
	t.Logf("current weights:         %v", evalWeights(items, &rankWeights, thr))
	best, bestAcc := 0.0, -1
	for _, l := range trainLambdas {
		s := crossValidate(items, extra, &handWeights, l, thr)
		t.Logf("learned, λ=%-5g CV:     %v", l, s)
		if s.right >= bestAcc { // the strongest of equals: closest to the hand weights
			best, bestAcc = l, s.right
		}
	}
	w := trainWeights(append(items, extra...), &handWeights, best)
	t.Logf("learned, λ=%g on all:  %v", best, evalWeights(items, &w, thr))
	if extra != nil {
		t.Logf("on the example questions: hand %v, learned %v", evalWeights(extra, &handWeights, thr), evalWeights(extra, &w, thr))
	}
	for _, c := range []struct {
		name string
		w    *features
	}{{"hand", &handWeights}, {"learned", &w}} {
		t.Logf("%s weights, threshold chosen by CV: %v; on all: %.2f", c.name, crossValidateThreshold(items, c.w), bestThreshold(items, c.w))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "var rankWeights = features{")
	for k, v := range w {
		fmt.Fprintf(&sb, "f%s: %.4f, ", strings.ToUpper(featureNames[k][:1])+featureNames[k][1:], v)
	}
	t.Logf("λ = %g, threshold %.2f:\n%s}", best, bestThreshold(items, &w), strings.TrimSuffix(sb.String(), ", "))
}

// TestTrainExampleWeights (BOT_TRAIN=1) reports, for each weight of the
// example questions as a field of their section (in the section's own
// share, and in its article's coverage), what the hand weights reach on
// the tuning half and the development set with the threshold chosen by
// cross-validation.
func TestTrainExampleWeights(t *testing.T) {
	if os.Getenv("BOT_TRAIN") == "" {
		t.Skip("BOT_TRAIN=1 reports the example questions' weights")
	}
	b := newTestBot(t, newTestStore(t))
	for _, ex := range []float64{0.5, 0.7, 0.85, 1} {
		for _, art := range []float64{0.3, 0.5, 0.7, 1} {
			b.ret.sc.example, b.ret.sc.exArticle = ex, art
			items := trainingSet(t, b)
			s := crossValidateThreshold(items, &b.ret.sc.w)
			t.Logf("example %.2f article %.2f: %v (balanced %.3f), threshold on all %.2f", ex, art, s, s.balanced(), bestThreshold(items, &b.ret.sc.w))
		}
	}
}
