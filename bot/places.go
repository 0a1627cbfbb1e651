package bot

import (
	_ "embed"
	"strings"
)

// A customer names the place they live, not the knowledge base's region:
// "do you ship to Antwerp?" is answered by "Netherlands and Belgium",
// "¿cuánto tarda a Barcelona?" by "Resto de la UE, incluida España", and
// "do you ship to South Africa?" by "Outside the EU". The gazetteer knows
// the countries, the larger cities and which countries are in the EU, so a
// place is found as its country's names, in every language, and, more
// weakly, as its region.

//go:embed places.txt
var placesText string

// place is a country.
type place struct {
	names [][]string // its names, as words
	eu    bool
}

// gazetteer finds places by their names and their cities' names.
type gazetteer struct {
	byName   map[string]*place // words joined by one space → country
	maxWords int
}

// places is the gazetteer of places.txt.
var places = parsePlaces(placesText)

// parsePlaces reads places.txt; it panics on a malformed line, which a
// test of the package finds before any build ships.
func parsePlaces(text string) *gazetteer {
	g := &gazetteer{byName: map[string]*place{}}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Split(line, ";")
		head := strings.Fields(fields[0])
		if len(fields) < 2 || len(fields) > 3 || len(head) != 2 || head[1] != "eu" && head[1] != "other" {
			panic("bot: places.txt: malformed line: " + line)
		}
		p := &place{eu: head[1] == "eu"}
		for _, n := range strings.Split(fields[1], ",") {
			if ws := words(n); len(ws) > 0 {
				p.names = append(p.names, ws)
			}
		}
		for _, f := range fields[1:] {
			for _, n := range strings.Split(f, ",") {
				if ws := words(n); len(ws) > 0 {
					g.byName[strings.Join(ws, " ")] = p
					g.maxWords = max(g.maxWords, len(ws))
				}
			}
		}
	}
	return g
}

// at returns the place whose name starts toks, and how many words it
// takes, or nil: the longest name wins ("new york" before "york").
func (g *gazetteer) at(toks []string) (*place, int) {
	for k := min(g.maxWords, len(toks)); k >= 1; k-- {
		if p := g.byName[strings.Join(toks[:k], " ")]; p != nil {
			return p, k
		}
	}
	return nil, 0
}

// Words of the regions a knowledge base writes of, as phrases, in each
// language: the EU, and outside it.
var (
	euRegion      = [][]string{{"eu"}, {"ue"}}
	outsideRegion = [][]string{{"outside", "eu"}, {"ausserhalb", "eu"}, {"hors", "ue"}, {"fuera", "ue"}, {"buiten", "eu"}}
)

// regionStrength is how strongly a place counts as found in a section of
// its region that does not name it.
const regionStrength = 0.5

// placeGroup is the group of a place named at toks[i], and how many words
// it takes, or an empty group: the visitor's words, the country's names
// and, more weakly, its region. A place outside the EU negates ("outside
// the EU" is not the exclusion it would be for a question about Spain).
func (r *retriever) placeGroup(idx *index, toks []string, i int, langs uint8) (group, int) {
	p, n := places.at(toks[i:])
	if p == nil {
		return group{}, 1
	}
	g := group{word: strings.Join(toks[i:i+n], " "), place: true}
	g.alts = addSynonym(g.alts, idx, r.rules.content(toks[i:i+n]), 1)
	var more []alt
	for _, name := range p.names {
		more = addSynonym(more, idx, r.rules.content(name), synonymStrength)
	}
	region := euRegion
	if !p.eu {
		region, g.neg = outsideRegion, true
	}
	for _, ws := range region {
		more = addSynonym(more, idx, ws, regionStrength)
	}
	// The country's names and region count in the question's languages
	// only: "how long to Vienna?" is for the English article, which names
	// Austria, not for the German one, whose heading names Österreich.
	for _, a := range more {
		if lang, _, ok := strings.Cut(a.stem, ":"); ok && langs&langBit(lang) != 0 {
			g.alts = addAlt(g.alts, idx, a)
		}
	}
	return g, n
}

// placesOnly reports whether every group of q the knowledge base has is a
// place and q asks neither how long nor how much: "what's the weather in
// Paris" is about the weather, which the knowledge base does not have, not
// about shipping to France; "how long to Vienna?" asks how long delivery
// takes.
func (q query) placesOnly() bool {
	if q.asks&(wantDuration|wantPrice) != 0 {
		return false
	}
	places := false
	for _, g := range q.groups {
		if g.known && !g.place {
			return false
		}
		places = places || g.place
	}
	return places
}
