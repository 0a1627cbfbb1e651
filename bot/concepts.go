package bot

import (
	"fmt"
	"slices"
	"strings"
)

// A knowledge base is often only partly translated: an English article
// answers a French customer better than "I'm not sure", and far better
// than a French article that merely shares a word. The rules' concepts
// (concepts.json, and "concepts" in an admin's rules file) are rows that
// name one idea in the five
// languages; a question's word or phrase in another language than the
// site's also finds the row's words in the site's, at translationStrength,
// below the word itself, or knownTranslationStrength when the knowledge
// base has the word in its own language, so that an article in the
// question's language that has the word still ranks first. The strengths
// were chosen, of (0.7, 0.7), (0.7, 0.5), (0.8, 0.5), (0.7, 0.6) and
// (0.8, 0.6), on the example questions taken out (TestTuneExamples) and the
// questions of TestCrossLanguage, with a 404-row draft of the lexicon:
// (0.8, 0.6) finds 55 of its 100, against 56 for (0.7, 0.7), and ranks
// 54.3% of the examples first, against 54.1% (54.5% without concepts).

// translationStrength is how strongly a concept's word in another language
// counts as the question's word.
const translationStrength = 0.8

// knownTranslationStrength is how strongly it counts for a word that the
// knowledge base has in the question's language: an article there is more
// likely to answer than a word's translation elsewhere.
const knownTranslationStrength = 0.6

// rendering is a concept's word or phrase in one language.
type rendering struct {
	lang  string
	words []string
}

// addConcepts checks and adds the concept rows of a rules file: each maps
// language codes to words and phrases of one to four words, in two
// languages at least.
func (r *Rules) addConcepts(rows []map[string][]string) error {
	for i, row := range rows {
		all := make([]rendering, 0, len(row)*3)
		langs := 0
		for lang, phrases := range row {
			if len(phrases) > 0 {
				langs++
			}
			if langBit(lang) == 0 {
				return fmt.Errorf("bot: rules: concept %d: unknown language %q (known: %s)", i+1, lang, strings.Join(languages[:], ", "))
			}
			for _, p := range phrases {
				ws := keptWords(p)
				if len(ws) == 0 || len(ws) > 4 {
					return fmt.Errorf("bot: rules: concept %d: %q must have 1 to 4 words", i+1, p)
				}
				all = append(all, rendering{lang: lang, words: ws})
			}
		}
		if langs < 2 {
			return fmt.Errorf("bot: rules: concept %d must name its idea in two languages at least", i+1)
		}
		// Sorted, so that a row's renderings do not depend on the order Go
		// iterates its languages in.
		slices.SortFunc(all, func(a, b rendering) int {
			return strings.Compare(a.lang+" "+strings.Join(a.words, " "), b.lang+" "+strings.Join(b.words, " "))
		})
		row := int32(len(r.conceptRows))
		r.conceptRows = append(r.conceptRows, slices.Clip(all))
		for _, from := range all {
			key := stemKey(from.lang, from.words)
			if !slices.Contains(r.concepts[key], row) {
				r.concepts[key] = append(r.concepts[key], row)
			}
			if len(from.words) > 1 {
				r.conceptStarts[stemKey(from.lang, from.words[:1])] = true
			}
			r.maxConcept = max(r.maxConcept, len(from.words))
		}
	}
	return nil
}

// translations returns the renderings in to, the knowledge base's own
// language, of the concepts that ws names in one of the other languages of
// langs (the question's).
func (r *Rules) translations(ws []string, langs uint8, to string) []rendering {
	var out []rendering
	for _, l := range languages {
		if l == to || langs&langBit(l) == 0 || len(ws) > 1 && !r.conceptStarts[stemKey(l, ws[:1])] {
			continue
		}
		for _, row := range r.concepts[stemKey(l, ws)] {
			for _, rd := range r.conceptRows[row] {
				if rd.lang == to {
					out = append(out, rd)
				}
			}
		}
	}
	return out
}

// phraseTranslations returns the renderings of the concepts' phrases, of
// two words or more, that cover any of the n tokens of toks from i.
func (r *Rules) phraseTranslations(toks []string, i, n int, langs uint8, to string) []rendering {
	var out []rendering
	for s := max(0, i-r.maxConcept+1); s < i+n; s++ {
		for k := max(2, i+1-s); k <= r.maxConcept && s+k <= len(toks); k++ {
			out = append(out, r.translations(toks[s:s+k], langs, to)...)
		}
	}
	return out
}

// addRenderings adds to alts, at translationStrength, the renderings that
// the knowledge base has, each in its own language only.
func (r *Rules) addRenderings(alts []alt, idx *index, rs []rendering) []alt {
	f := translationStrength
	for _, a := range alts {
		if a.f == 1 && !a.translated && !strings.HasPrefix(a.stem, idx.siteLang+":") {
			f = knownTranslationStrength // the knowledge base has the word in its own language
		}
	}
	for _, rd := range rs {
		switch ts := r.renderingTerms(rd); {
		case len(ts) == 1:
			alts = addAlt(alts, idx, alt{stem: ts[0], f: f, translated: true})
		case len(ts) > 1:
			alts = addAlt(alts, idx, alt{stem: strings.Join(ts, "+"), phrase: ts, f: f, translated: true})
		}
	}
	return alts
}

// renderingTerms are the terms of a rendering's words that are not
// stopwords in its language: "mot de passe" is fr:mot and fr:pass.
func (r *Rules) renderingTerms(rd rendering) []string {
	var ts []string
	for _, w := range rd.words {
		if !stopIn[rd.lang][w] && (rd.lang != langEN || !r.stop[w]) {
			ts = append(ts, term(rd.lang, w))
		}
	}
	return ts
}
