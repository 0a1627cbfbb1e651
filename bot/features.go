package bot

import (
	"regexp"
	"strconv"
	"strings"
)

// howToHeading finds a heading that says how to do something.
var howToHeading = regexp.MustCompile(`^ (how to|how do|how can|comment|so|zo|como|wie) `)

// Words that tell what kind of answer a block gives, in every language,
// folded as words() folds them.
var (
	timeUnits = wordSet(`min mins minute minutes hour hours day days week weeks month months year years
		minuten stunde stunden tag tage tagen woche wochen monat monate monaten jahr jahre jahren werktag werktage werktagen
		heure heures jour jours semaine semaines mois an ans
		minuto minutos hora horas dia dias semana semanas mes meses ano anos
		uur uren dag dagen weken maand maanden jaar werkdag werkdagen`)
	priceWords = wordSet(`eur euro euros free gratis kostenlos kostenlose kostenloser gratuit gratuite gratuito gratuita`)
	everyWords = wordSet(`every each cada elke`)
	everyPairs = map[[2]string]bool{
		{"once", "a"}: true, {"twice", "a"}: true, {"tous", "les"}: true, {"toutes", "les"}: true, {"une", "fois"}: true,
		{"einmal", "im"}: true, {"einmal", "pro"}: true, {"una", "vez"}: true, {"om", "de"}: true, {"eens", "per"}: true,
		{"keer", "per"}: true, {"fois", "par"}: true,
	}
)

// blockFeatures finds what kind of answer one block of text gives, from its
// text and its words: a duration (a number and a unit of time), a price (a
// currency sign or word with a number, or "free"), a frequency ("every",
// "once a") or a time of day ("9:00", "14 h", "3pm").
func blockFeatures(text string, toks []string) intent {
	var f intent
	if strings.ContainsAny(text, "€$") && strings.ContainsAny(text, "0123456789") {
		f |= wantPrice
	}
	if hasClock(text) {
		f |= wantTime
	}
	for i, t := range toks {
		num := isNumber(t)
		if num && (i+1 < len(toks) && timeUnits[toks[i+1]] || i+2 < len(toks) && timeUnits[toks[i+2]]) {
			f |= wantDuration
		}
		if num && i+1 < len(toks) && (toks[i+1] == "am" || toks[i+1] == "pm" || toks[i+1] == "h") {
			f |= wantTime
		}
		if priceWords[t] {
			f |= wantPrice
		}
		if everyWords[t] || i+1 < len(toks) && everyPairs[[2]string{t, toks[i+1]}] {
			f |= wantFrequency
		}
	}
	return f
}

// hasClock reports whether text has a time of day written with a colon.
func hasClock(text string) bool {
	for i := 1; i+2 < len(text); i++ {
		if text[i] == ':' && isDigit(text[i-1]) && isDigit(text[i+1]) && isDigit(text[i+2]) {
			return true
		}
	}
	return false
}

// unitMinutes is how many minutes each unit of time is, by its word in
// every language (folded).
var unitMinutes = func() map[string]float64 {
	m := map[string]float64{}
	for minutes, ws := range map[float64]string{
		1:      "min mins minute minutes minuten minuto minutos minuut",
		60:     "hour hours stunde stunden heure heures hora horas uur uren",
		1440:   "day days tag tage tagen werktag werktage werktagen jour jours dia dias dag dagen werkdag werkdagen",
		10080:  "week weeks woche wochen semaine semaines semana semanas weken",
		43200:  "month months monat monate monaten mois mes meses maand maanden",
		525600: "year years jahr jahre jahren an ans ano anos jaar",
	} {
		for w := range wordSet(ws) {
			m[w] = minutes
		}
	}
	return m
}()

// durationOf returns the longest duration the words name ("8 months",
// "the 60-minute window"), in minutes, or 0.
func durationOf(toks []string) float64 {
	var longest float64
	for i, t := range toks {
		if !isNumber(t) || i+1 == len(toks) {
			continue
		}
		if u := unitMinutes[toks[i+1]]; u > 0 {
			n, err := strconv.Atoi(t)
			if err == nil {
				longest = max(longest, float64(n)*u)
			}
		}
	}
	return longest
}

// stepsIn counts the steps a block gives: an item of a numbered list is
// one, a path to follow through the site ("Account → Privacy") two.
func stepsIn(text string) int {
	n := 0
	if len(text) > 3 && isDigit(text[0]) && strings.HasPrefix(text[1:], ". ") {
		n++
	}
	if strings.Contains(text, "→") {
		n += 2
	}
	return n
}
