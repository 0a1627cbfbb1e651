package bot

import "strings"

// A phrase of the rules (a multi-word synonym key or value, "phone
// number") counts in full where its words stand together, not where they
// are scattered over a section ("your card number … on the phone"). The
// index has no positions, so it records, for the phrases the retrieval can
// ask for, the sections and the example questions where each stands
// together (index.together, index.exTogether): gatherPhrase and
// exampleMatch count a phrase whose words are only apart at apartStrength.
// A phrase the rules do not have (a place's name) counts as before.

// apartStrength scales a phrase whose words a section's text, or an
// example question, has only apart. On the tuning half, the development
// set and the example questions taken out (TestTuneExamples), 0.5, 0.6 and
// 0.7 give the same figures; 0.6 is between.
const apartStrength = 0.6

// maxPhraseGap is how many words may stand between two of a phrase's for
// it to stand together, in order: the rules' phrases are not all set
// phrases ("return within" is for "return most items within 30 days").
// Only stopwords between, "return within" is apart there and the example
// questions taken out find their section once less often.
const maxPhraseGap = 2

// phraseSet is the phrases the retrieval can ask for, as terms in every
// language: a synonym key's words that are not stopwords in any language
// (phraseGroup) and a synonym's words that are not English stopwords
// (content), each of two words or more.
type phraseSet struct {
	byFirst map[string][]phraseTerms // the phrases by their first term
	tracked map[string]bool          // their keys (alt.stem)
}

// phraseTerms is one phrase in one language.
type phraseTerms struct {
	key   string // its terms joined by "+", as alt.stem
	terms []string
}

// newPhraseSet collects the phrases of r's synonyms and concepts.
func newPhraseSet(r *Rules) *phraseSet {
	ps := &phraseSet{byFirst: map[string][]phraseTerms{}, tracked: map[string]bool{}}
	for key, syn := range r.synonyms {
		var own []string
		for _, w := range strings.Fields(key) {
			if !r.stopword(w) {
				own = append(own, w)
			}
		}
		ps.add(own)
		for _, ws := range syn {
			ps.add(r.content(ws))
		}
	}
	for _, rs := range r.conceptRows {
		for _, rd := range rs {
			ps.addTerms(r.renderingTerms(rd))
		}
	}
	return ps
}

// add adds the phrase ws in every language, if it has two words or more.
func (ps *phraseSet) add(ws []string) {
	if len(ws) < 2 {
		return
	}
	for _, l := range languages {
		ts := make([]string, len(ws))
		for i, w := range ws {
			ts[i] = term(l, w)
		}
		ps.addTerms(ts)
	}
}

// addTerms adds the phrase of terms ts, if it has two terms or more.
func (ps *phraseSet) addTerms(ts []string) {
	key := strings.Join(ts, "+")
	if len(ts) < 2 || ps.tracked[key] {
		return
	}
	ps.tracked[key] = true
	ps.byFirst[ts[0]] = append(ps.byFirst[ts[0]], phraseTerms{key: key, terms: ts})
}

// scan calls found with the key of each phrase that stands together in
// terms, a heading's, a block's or a question's in order: its terms in
// order, with at most maxPhraseGap words between two.
func (ps *phraseSet) scan(terms []string, found func(key string)) {
	for i, t := range terms {
		for _, p := range ps.byFirst[t] {
			if standsAt(terms, i, p.terms) {
				found(p.key)
			}
		}
	}
}

// standsAt reports whether phrase stands together in terms from i, where
// its first term is.
func standsAt(terms []string, i int, phrase []string) bool {
	j := i
	for _, t := range phrase[1:] {
		k := j + 1
		for k < len(terms) && terms[k] != t && k-j <= maxPhraseGap {
			k++
		}
		if k == len(terms) || terms[k] != t {
			return false
		}
		j = k
	}
	return true
}

// tracks reports whether a is a phrase of the rules, whose standing
// together the index records.
func (idx *index) tracks(a alt) bool {
	return a.phrase != nil && idx.phrases != nil && idx.phrases.tracked[a.stem]
}

// stopword reports whether t is a stopword in English (the rules) or in any
// other language the assistant reads.
func (r *Rules) stopword(t string) bool {
	if r.stop[t] {
		return true
	}
	for _, l := range languages[1:] {
		if stopIn[l][t] {
			return true
		}
	}
	return false
}

// content returns the words of ws that are not stopwords.
func (r *Rules) content(ws []string) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		if !r.stop[w] {
			out = append(out, w)
		}
	}
	return out
}
