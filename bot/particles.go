package bot

import "strings"

// particles are the separable prefixes of German and Dutch verbs, which a
// sentence puts after the verb ("schicke ich es zurück", "stuur ik het
// terug") while the knowledge base has the verb whole ("zurückschicken",
// "terugsturen").
var particles = wordSet(`zuruck ab an auf aus ein mit vor weg zu terug op aan af uit mee toe`)

// joinParticles puts each separable particle of toks back on the verb
// before it whose whole form (or, for a verb in the third person, its form
// without the ending "t") the knowledge base or the synonyms have.
func (r *retriever) joinParticles(idx *index, toks []string, langs uint8) []string {
	known := func(c string) bool {
		return addTerms(nil, idx, c, 1) != nil || r.rules.synonyms[c] != nil || r.rules.stemSynonym([]string{c}, langs) != nil
	}
	for j := 1; j < len(toks); j++ {
		if !particles[toks[j]] {
			continue
		}
		for i := j - 1; i >= 0; i-- {
			v := toks[i]
			if particles[v] || len(v) < 3 {
				continue
			}
			c := toks[j] + v
			if !known(c) {
				c = strings.TrimSuffix(c, "t")
			}
			if known(c) {
				toks = append(append(append([]string{}, toks[:i]...), c), append(toks[i+1:j:j], toks[j+1:]...)...)
				j--
				break
			}
		}
	}
	return toks
}
