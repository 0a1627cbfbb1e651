package bot

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// conceptFalseFriends are words whose most common meaning differs between
// the five languages. A concept row may list one only in the languages
// named here (none: in no language), since an English word is looked up in
// a question of any language.
var conceptFalseFriends = map[string][]string{
	"gift":       nil,      // de, nl: poison
	"door":       nil,      // nl: through, by
	"also":       nil,      // de: so, therefore
	"will":       nil,      // de: wants
	"art":        nil,      // de: kind, sort
	"rat":        nil,      // de: advice
	"raad":       nil,      // nl: advice, council
	"bald":       nil,      // de: soon
	"kind":       nil,      // de, nl: child
	"fast":       nil,      // de: almost
	"handy":      {langDE}, // de: mobile phone
	"sale":       nil,      // fr: dirty; es: goes out, leaves
	"sales":      nil,      // fr: dirty
	"pays":       nil,      // fr: country; en: pays
	"brand":      nil,      // de, nl: fire
	"map":        nil,      // nl: folder
	"mappe":      nil,      // de: folder
	"actual":     nil,      // es, de (aktuell), fr (actuel): current
	"actuel":     nil,      // fr: current
	"eventually": nil,      // de eventuell, fr eventuellement: possibly
	"eventuell":  nil,      // de: possibly
	"become":     nil,      // de bekommen: get
	"note":       nil,      // fr: bill; de: grade
	"demand":     nil,      // fr demande: request
	"sensible":   nil,      // fr, es: sensitive
	"store":      nil,      // fr: window blind
	"storing":    nil,      // nl: outage, fault; en: keeping
	"chef":       nil,      // de, fr: boss
	"mist":       nil,      // de: rubbish; nl: missed
	"arm":        nil,      // de: poor
	"hell":       nil,      // de: bright
	"winkel":     {langNL}, // de: angle
	"pain":       nil,      // fr: bread
	"coin":       nil,      // fr: corner
	"rest":       nil,      // de: remainder
	"con":        nil,      // es: with
	"sin":        nil,      // es: without
	"once":       nil,      // es: eleven
	"red":        nil,      // es: network
	"spenden":    nil,      // de: donate (en spend)
	"bekommen":   nil,      // de: get, receive; en become
	"laden":      nil,      // de: shop, but also load, charge
	"joindre":    nil,      // fr: reach, but also attach
	"dommage":    nil,      // fr: damage, but mostly "what a pity"
	"heet":       nil,      // nl: hot, but also "is called"
	"scale":      nil,      // en: weighing scale or limescale
	"rust":       nil,      // nl: rest, calm
	"laut":       nil,      // de: loud, but also "according to"
	"balance":    nil,      // fr: weighing scale
	"lid":        nil,      // nl: member
	"stock":      nil,      // de: floor, storey
	"lager":      nil,      // nl: lower
	"kocht":      nil,      // nl: bought; de: boils
	"leer":       nil,      // es: read; nl: leather, learn
	"stuck":      nil,      // de: Stück, piece
}

// conceptRow is one row of bot/concepts.json: one idea named in each
// language that has a word for it.
type conceptRow map[string][]string

// loadConcepts reads bot/concepts.json, failing the test unless it is a
// JSON array of rows.
func loadConcepts(t *testing.T) []conceptRow {
	t.Helper()
	raw, err := os.ReadFile("concepts.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []conceptRow
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("concepts.json: %v", err)
	}
	return rows
}

// TestConceptsData checks the multilingual concept lexicon: its shape, its
// languages, phrases of one to four words, no word in two rows (in its own
// language, by itself or by its stem, nor as the same letters or the same
// stem in another language), no stopwords and no false friends.
func TestConceptsData(t *testing.T) {
	rows := loadConcepts(t)
	owners := map[string]int{}
	for i, row := range rows {
		name := fmt.Sprintf("row %d %v", i+1, row["en"])
		if len(row["en"]) == 0 || len(row) < 2 {
			t.Errorf("%s: needs en and at least one other language", name)
		}
		for lang, ps := range row {
			if _, ok := stemmers[lang]; !ok {
				t.Errorf("%s: unknown language %q", name, lang)
				continue
			}
			if len(ps) == 0 {
				t.Errorf("%s: %s lists nothing", name, lang)
			}
			for _, p := range ps {
				checkConceptPhrase(t, name, lang, p)
				for _, k := range conceptKeys(lang, p) {
					j, taken := owners[k]
					// A row may list a word's other forms ("order",
					// "ordered") and share a spelling across its own
					// languages ("gratis"), but never list a phrase twice.
					if taken && (j != i || k[0] == '=') {
						t.Errorf("%s: %s %q is also in row %d %v (%s)", name, lang, p, j+1, rows[j]["en"], k)
					}
					owners[k] = i
				}
			}
		}
	}
	checkOtherStems(t, rows, owners)
}

// conceptStemsShared are words that, stemmed as another language, land in
// another row and are kept all the same: the words are too common in their
// own language to leave out, and the other reading is rare in a question.
var conceptStemsShared = map[string]bool{
	"cart": true, "carte": true, // en cart, fr carte (card)
	"data": true, "date": true, // en data, date; de daten, es datos
	"france": true, "frances": true, // the country, the language
	"molen":   true, // nl grinder, es moler (grind)
	"delle":   true, // de dent, fr delai (deadline)
	"vertrag": true, // de contract, nl vertraagd (delayed)
}

// checkOtherStems fails when a single word of one row, stemmed as another
// language, is a word of another row in that language: a question whose
// language is unclear is read in several, and "pays" (fr country) would
// find "pay", "reclame" (nl advertising) "réclamer" (fr complain).
func checkOtherStems(t *testing.T, rows []conceptRow, owners map[string]int) {
	t.Helper()
	for i, row := range rows {
		for lang, ps := range row {
			for _, p := range ps {
				ws := words(p)
				if len(ws) != 1 || conceptStemsShared[ws[0]] {
					continue
				}
				for _, l := range languages {
					if j, ok := owners["~"+stemKey(l, ws)]; ok && l != lang && j != i {
						t.Errorf("row %d %v: %s %q read as %s is row %d %v", i+1, row["en"], lang, p, l, j+1, rows[j]["en"])
					}
				}
			}
		}
	}
}

// conceptKeys are the keys under which a row claims a phrase: "=" with the
// language and the folded phrase; for a single word also "~" with the
// language and its stem, and "*" with its letters whatever the language.
func conceptKeys(lang, p string) []string {
	ws := words(p)
	keys := []string{"=" + lang + ":" + strings.Join(ws, " ")}
	if len(ws) == 1 {
		keys = append(keys, "~"+stemKey(lang, ws), "*"+ws[0])
	}
	return keys
}

// checkConceptPhrase checks one word or phrase: lower case, one to four
// words, not a stopword of any language, not a false friend.
func checkConceptPhrase(t *testing.T, name, lang, p string) {
	t.Helper()
	ws := words(p)
	switch {
	case p != strings.ToLower(p) || p != strings.TrimSpace(p):
		t.Errorf("%s: %s %q is not trimmed lower case", name, lang, p)
	case len(ws) < 1 || len(ws) > 4:
		t.Errorf("%s: %s %q has %d words, want 1 to 4", name, lang, p, len(ws))
	}
	if len(ws) != 1 {
		return
	}
	w := ws[0]
	if allowed, ok := conceptFalseFriends[w]; ok && !slices.Contains(allowed, lang) {
		t.Errorf("%s: %s %q is a false friend", name, lang, p)
	}
	for _, l := range languages {
		if (l == langEN && builtin.stop[w]) || stopIn[l][w] {
			t.Errorf("%s: %s %q is a stopword in %s", name, lang, p, l)
		}
	}
}
