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

// englishParticles are the particles of English phrasal verbs, and
// objectWords the short objects a sentence puts between such a verb and
// its particle ("send them back", "turn it off"), where the rules' phrase
// has them together ("send back").
var (
	englishParticles = wordSet(`back up off out in on over away down`)
	objectWords      = wordSet(`it them this that these those me him her us everything something one all`)
)

// moveObjects puts a short object after the particle of the phrasal verb
// before it when the rules know the verb and the particle together as a
// phrase: "send them back" is read as "send back them". toks is the
// question's own (parse's), so it is changed in place.
func (r *retriever) moveObjects(toks []string) []string {
	for i := 0; i+2 < len(toks); i++ {
		v, o, p := toks[i], toks[i+1], toks[i+2]
		if !objectWords[o] || !englishParticles[p] || r.rules.synonyms[v+" "+p] == nil {
			continue
		}
		toks[i+1], toks[i+2] = p, o
	}
	return toks
}
