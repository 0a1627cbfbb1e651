package bot

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// Intent is what a visitor's message asks for.
type Intent string

// The intents the bot tells apart.
const (
	IntentGreeting     Intent = "greeting"
	IntentQuestion     Intent = "question"
	IntentTicketStatus Intent = "ticket_status" // private: the visitor's own requests
	IntentAccount      Intent = "account"       // private: orders, payments, account changes
	IntentHuman        Intent = "human"
	IntentThanks       Intent = "thanks"
	IntentAbuse        Intent = "abuse"
)

// keywordIntents are the intents that rules files may give keywords to.
var keywordIntents = []Intent{IntentGreeting, IntentThanks, IntentHuman, IntentTicketStatus, IntentAccount, IntentAbuse}

//go:embed rules.json
var defaultRulesJSON []byte

// defaultConceptsJSON is the built-in rules' concepts (concepts.go), a
// file of its own: one row a line reads better than rules.json's layout.
//
//go:embed concepts.json
var defaultConceptsJSON []byte

// Rules is the bot's vocabulary: weighted keywords per intent, synonyms that
// widen a search, concepts that carry a question into the site's language,
// and stopwords that never count as search terms. The defaults are built in
// (rules.json, concepts.json); an admin adds to them with a file of the
// same shape (see LoadRules). Rules are immutable once built.
type Rules struct {
	intents map[Intent]*intentRule
	// synonyms maps a word or a phrase of up to maxPhrase words (joined by
	// single spaces) to what it also searches for: words, and phrases
	// whose words must all be found ("gift card").
	synonyms map[string][][]string
	// stemSynonyms holds the synonyms by their words' stems in each
	// language (stemKey), so that "vouchers" and "called" find the
	// synonyms of "voucher" and "call".
	stemSynonyms map[string][][]string
	// phraseStarts holds the first word of each synonym phrase, as
	// stemKey keys it, so that a question's word that starts none is not
	// looked up again with the words after it.
	phraseStarts map[string]bool
	maxPhrase    int
	stop         map[string]bool
	// weak words count for little in a search: common verbs and adjectives
	// ("take", "new", "last") that rarely name what a question is about.
	weak map[string]bool
	// conceptRows are the concepts' rows, each its words and phrases in
	// every language it has (concepts.go); concepts maps a word or phrase
	// of one language, as stemKey keys it, to the rows that have it, and
	// conceptStarts holds the first words of their phrases.
	conceptRows   [][]rendering
	concepts      map[string][]int32
	conceptStarts map[string]bool
	maxConcept    int
	// phrases are the synonyms' phrases as terms, whose standing together
	// the index records (phrases.go).
	phrases *phraseSet
}

type intentRule struct {
	min      float64
	byFirst  map[string][]keyword // keywords by their first word
	prefixes []keyword            // keywords whose first word ends in '*'
}

// keyword is a phrase of words; a last word ending in '*' matches any word
// that starts with it.
type keyword struct {
	words  []string
	weight float64
}

// rulesFile is the JSON form of rules.
type rulesFile struct {
	Comment string `json:"_comment,omitempty"`
	Intents map[string]struct {
		Min      *float64           `json:"min"`
		Keywords map[string]float64 `json:"keywords"`
	} `json:"intents"`
	Synonyms  map[string][]string   `json:"synonyms"`
	Concepts  []map[string][]string `json:"concepts,omitempty"`
	Weakwords []string              `json:"weakwords"`
	Stopwords []string              `json:"stopwords"`
}

var builtin = func() *Rules {
	r, err := ParseRules(nil)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return r
}()

// LoadRules reads an admin's rules file and returns the built-in rules
// extended by it. An empty path returns the built-in rules.
func LoadRules(path string) (*Rules, error) {
	if path == "" {
		return builtin, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bot: rules: %w", err)
	}
	r, err := ParseRules(b)
	if err != nil {
		return nil, fmt.Errorf("bot: rules %s: %w", path, err)
	}
	return r, nil
}

// ParseRules returns the built-in rules extended by extra, a JSON document
// of the same shape as rules.json (nil for none). In extra, a keyword or
// synonym that exists replaces it, a keyword with weight 0 is removed, and
// "min" changes an intent's threshold.
func ParseRules(extra []byte) (*Rules, error) {
	var base rulesFile
	if err := json.Unmarshal(defaultRulesJSON, &base); err != nil {
		return nil, fmt.Errorf("bot: built-in rules: %w", err)
	}
	if err := json.Unmarshal(defaultConceptsJSON, &base.Concepts); err != nil {
		return nil, fmt.Errorf("bot: built-in concepts: %w", err)
	}
	if len(extra) > 0 {
		var add rulesFile
		dec := json.NewDecoder(strings.NewReader(string(extra)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&add); err != nil {
			return nil, fmt.Errorf("bot: rules: %w", err)
		}
		if err := merge(&base, add); err != nil {
			return nil, err
		}
	}
	return compile(base)
}

func merge(base *rulesFile, add rulesFile) error {
	for name, in := range add.Intents {
		if !knownIntent(name) {
			return fmt.Errorf("bot: rules: unknown intent %q (known: %s)", name, intentNames())
		}
		cur := base.Intents[name]
		if in.Min != nil {
			cur.Min = in.Min
		}
		if cur.Keywords == nil {
			cur.Keywords = map[string]float64{}
		}
		for k, w := range in.Keywords {
			if w == 0 {
				delete(cur.Keywords, k)
				continue
			}
			cur.Keywords[k] = w
		}
		base.Intents[name] = cur
	}
	if base.Synonyms == nil {
		base.Synonyms = map[string][]string{}
	}
	for k, v := range add.Synonyms {
		base.Synonyms[k] = v
	}
	base.Concepts = append(base.Concepts, add.Concepts...)
	base.Stopwords = append(base.Stopwords, add.Stopwords...)
	base.Weakwords = append(base.Weakwords, add.Weakwords...)
	return nil
}

func knownIntent(name string) bool {
	for _, i := range keywordIntents {
		if string(i) == name {
			return true
		}
	}
	return false
}

func intentNames() string {
	var s []string
	for _, i := range keywordIntents {
		s = append(s, string(i))
	}
	return strings.Join(s, ", ")
}

func compile(f rulesFile) (*Rules, error) {
	r := &Rules{intents: map[Intent]*intentRule{}, synonyms: map[string][][]string{}, stemSynonyms: map[string][][]string{}, phraseStarts: map[string]bool{},
		concepts: map[string][]int32{}, conceptStarts: map[string]bool{}, stop: map[string]bool{}, weak: map[string]bool{}}
	for name, in := range f.Intents {
		if !knownIntent(name) {
			return nil, fmt.Errorf("bot: rules: unknown intent %q (known: %s)", name, intentNames())
		}
		ir, err := compileIntent(in.Min, in.Keywords)
		if err != nil {
			return nil, fmt.Errorf("bot: rules: intent %s: %w", name, err)
		}
		r.intents[Intent(name)] = ir
	}
	if err := r.addSynonyms(f.Synonyms); err != nil {
		return nil, err
	}
	if err := r.addConcepts(f.Concepts); err != nil {
		return nil, err
	}
	for _, s := range f.Stopwords {
		for _, w := range words(s) {
			r.stop[w] = true
		}
	}
	for _, s := range f.Weakwords {
		for _, w := range words(s) {
			r.weak[w] = true
		}
	}
	r.phrases = newPhraseSet(r)
	return r, nil
}

// compileIntent checks an intent's minimum score (1 when nil) and keywords
// and indexes the keywords for matching.
func compileIntent(min *float64, keywords map[string]float64) (*intentRule, error) {
	ir := &intentRule{min: 1, byFirst: map[string][]keyword{}}
	if min != nil {
		if *min <= 0 || *min > 100 || math.IsNaN(*min) {
			return nil, errors.New("min must be between 0 and 100")
		}
		ir.min = *min
	}
	phrases := make([]string, 0, len(keywords))
	for p := range keywords {
		phrases = append(phrases, p)
	}
	sort.Strings(phrases) // deterministic order
	for _, p := range phrases {
		w := keywords[p]
		if math.IsNaN(w) || w < -10 || w > 10 {
			return nil, fmt.Errorf("keyword %q: weight must be between -10 and 10", p)
		}
		prefix := strings.HasSuffix(strings.TrimSpace(p), "*")
		ws := words(p)
		if len(ws) == 0 || len(ws) > 6 {
			return nil, fmt.Errorf("keyword %q must have 1 to 6 words", p)
		}
		if prefix {
			ws[len(ws)-1] += "*"
		}
		k := keyword{words: ws, weight: w}
		if prefix && len(ws) == 1 {
			ir.prefixes = append(ir.prefixes, k)
		} else {
			ir.byFirst[ws[0]] = append(ir.byFirst[ws[0]], k)
		}
	}
	return ir, nil
}

// addSynonyms checks and adds the synonyms of a rules file, by phrase and,
// for one-word keys, by stem.
func (r *Rules) addSynonyms(synonyms map[string][]string) error {
	keys := make([]string, 0, len(synonyms))
	for k := range synonyms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := words(k)
		if len(key) == 0 || len(key) > 4 {
			return fmt.Errorf("bot: rules: synonym %q must have 1 to 4 words", k)
		}
		var out [][]string
		for _, s := range synonyms[k] {
			ws := keptWords(s)
			if len(ws) == 0 || len(ws) > 4 {
				return fmt.Errorf("bot: rules: synonym %q of %q must have 1 to 4 words", s, k)
			}
			out = append(out, ws)
		}
		if len(out) == 0 || len(out) > 8 {
			return fmt.Errorf("bot: rules: synonym %q must list 1 to 8 words or phrases", k)
		}
		r.synonyms[strings.Join(key, " ")] = out
		r.maxPhrase = max(r.maxPhrase, len(key))
		// Words and phrases are also found by their stems in every
		// language ("vouchers", "aduanas", "logged in"); where several
		// share stems, the one that is its own stem wins, else the first.
		for _, l := range languages {
			if len(key) > 1 {
				r.phraseStarts[stemKey(l, key[:1])] = true
			}
			st := stemKey(l, key)
			if _, taken := r.stemSynonyms[st]; !taken || st == l+":"+strings.Join(key, " ") {
				r.stemSynonyms[st] = out
			}
		}
	}
	return nil
}

// stemKey is a word or phrase as stemSynonyms keys it in lang.
func stemKey(lang string, ws []string) string {
	var b strings.Builder
	b.WriteString(lang)
	b.WriteByte(':')
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(stemIn(lang, w))
	}
	return b.String()
}

// stemSynonym returns the synonyms of ws found by stem in English or in
// one of the languages of langs (the question's).
func (r *Rules) stemSynonym(ws []string, langs uint8) [][]string {
	for _, l := range languages {
		if l != langEN && langs&langBit(l) == 0 {
			continue
		}
		if len(ws) > 1 && !r.phraseStarts[stemKey(l, ws[:1])] {
			continue
		}
		if syn, ok := r.stemSynonyms[stemKey(l, ws)]; ok {
			return syn
		}
	}
	return nil
}

// score sums the weights of the intent's keywords found in toks (each
// keyword counted once) and marks the tokens they cover in used.
func (ir *intentRule) score(toks []string, used []bool) float64 {
	var sum float64
	seen := map[*keyword]bool{}
	for i, t := range toks {
		ks := ir.byFirst[t]
		for j := range ks {
			k := &ks[j]
			if !seen[k] && matchAt(toks, i, k.words) {
				seen[k] = true
				sum += k.weight
				markUsed(used, i, len(k.words))
			}
		}
		for j := range ir.prefixes {
			k := &ir.prefixes[j]
			if !seen[k] && strings.HasPrefix(t, strings.TrimSuffix(k.words[0], "*")) {
				seen[k] = true
				sum += k.weight
				markUsed(used, i, 1)
			}
		}
	}
	return sum
}

func markUsed(used []bool, i, n int) {
	for k := i; k < i+n && k < len(used); k++ {
		used[k] = true
	}
}

func matchAt(toks []string, i int, ws []string) bool {
	if i+len(ws) > len(toks) {
		return false
	}
	for j, w := range ws {
		t := toks[i+j]
		if p, ok := strings.CutSuffix(w, "*"); ok && j == len(ws)-1 {
			if !strings.HasPrefix(t, p) {
				return false
			}
		} else if t != w {
			return false
		}
	}
	return true
}
