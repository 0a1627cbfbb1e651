package bot

import (
	"strings"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/spanish"
)

// The languages the assistant reads and speaks (store.Languages).
const (
	langEN = "en"
	langDE = "de"
	langFR = "fr"
	langES = "es"
	langNL = "nl"
)

// languages lists them in a fixed order.
var languages = []string{langEN, langDE, langFR, langES, langNL}

// stemmers are the Snowball stemmers of each language.
var stemmers = map[string]func(*snowballstem.Env) bool{
	langEN: english.Stem, langDE: german.Stem, langFR: french.Stem, langES: spanish.Stem, langNL: dutch.Stem,
}

// stemIn reduces a folded, lower-case word to its Snowball stem in lang.
// Digits and words of one or two letters are left alone.
func stemIn(lang, w string) string {
	st := stemmers[lang]
	if st == nil || len(w) < 3 || len(w) > 64 || isNumber(w) {
		return w
	}
	env := snowballstem.NewEnv(w)
	st(env)
	return env.Current()
}

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isDigit(w[i]) {
			return false
		}
	}
	return w != ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// stopwords are each language's words that never say what a question is
// about. English has more in rules.json, which an admin may extend.
var stopwords = map[string]string{
	langDE: `aber alle allem als also am an auch auf aus bei bin bis bitte bist da dann das dass dem den der des
		dich die dir doch du ein eine einem einen einer eines er es etwas euch euer für gibt hab habe haben hallo hat
		hatte hier ich ihr ihre im in ist ja jetzt kann kein keine man mein meine meinem meinen meiner mich mir mit
		muss nach nicht noch nun nur ob oder ohne sein seine sich sie sind so soll über um und uns unser unsere von vor
		war was welche welcher wenn wer werde werden wie wieso will wir wird wo zu zum zur sehr schon danke
		machen mache macht gibt bekomme bekommen geht tun soll sollte möchte mochte würde wurde eigentlich bitte mal`,
	langFR: `a ai au aux avec avez avoir bonjour ce ces cette comment d dans de des du elle en est et etre il ils j je
		l la le les leur lui m ma mais me merci mes moi mon n ne nos notre nous on ou où par pas peut peux plus pour
		puis qu que qui s sa se ses si son sont sur ta te tes toi ton tu un une vos votre vous y c est-ce quoi quel
		quelle quels quelles cest jai svp ça ca
		prend prendre faire fait faut mettre avoir être etre aller veux voudrais dois doit pourquoi passe-t-il quoi`,
	langES: `a al algo como con cual de del el ella en es esta este esto estoy gracias hay hola la las le lo los me
		mi mis muy más mas no nos o para pero por puede puedo que qué se si sin sobre su sus te tengo ti tu tus un
		una uno y ya yo cómo cuál cuando cuándo donde dónde he ha han hace
		hacer tengo quiero pido sale salió tiene tienen debe puede gustaria favor`,
	langNL: `aan al alle als ben bij dan dat de deze die dit doe doen een en er hallo heb hebben heeft het hier hij
		hoe ik in is je jij kan kun kunnen maar me mij mijn met moet moeten na naar niet nog nu of om ons onze ook op
		te tot u uw van voor waar wat we wel wie wij wil zal ze zij zijn zo dank bedankt graag
		jullie krijg krijgen doen laten kunt wordt worden was had toen niks iets`,
}

// negations mark a heading about what is excluded ("Outside the EU",
// "What's not covered"): when the question itself negates nothing, such a
// heading matched only by the question's topic is weaker evidence.
var negations = wordSet(`not no outside except excluding without cannot cant isnt dont
	nicht kein keine ausser außerhalb ohne
	pas non hors sauf sans
	fuera excepto sin
	niet geen buiten behalve zonder`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words(s) {
		m[w] = true
	}
	return m
}

// stopIn holds each language's stopwords, folded.
var stopIn = func() map[string]map[string]bool {
	m := map[string]map[string]bool{}
	for l, s := range stopwords {
		m[l] = wordSet(s)
	}
	return m
}()

// detectLanguage guesses the language of a question from its stopwords,
// falling back to def: short questions often have none.
func detectLanguage(toks []string, english map[string]bool, def string) string {
	best, bestN := def, 0
	for _, l := range languages {
		n := 0
		for _, t := range toks {
			if (l == langEN && english[t]) || stopIn[l][t] {
				n++
			}
		}
		if n > bestN || (n == bestN && n > 0 && l == def) {
			best, bestN = l, n
		}
	}
	return best
}

// normLang returns l if it is a language the assistant speaks, else def.
func normLang(l, def string) string {
	if _, ok := stemmers[l]; ok {
		return l
	}
	return def
}

// intent is what kind of answer a question asks for, besides its topic:
// a duration, a price, steps to follow. A section that has one matches a
// question that asks for it a little better.
type intent uint8

const (
	wantDuration intent = 1 << iota
	wantPrice
	wantSteps
)

// intentCues are the phrases that ask for each kind of answer, in every
// language, matched on the question's words (sentence()).
var intentCues = map[intent][]string{
	wantDuration: {"how long", "how many days", "how many weeks", "how soon", "when will", "when does", "when do",
		"how quickly", "how fast", "wie lange", "wie schnell", "wann kommt", "wann wird", "combien de temps",
		"en combien de", "quand", "delai", "cuanto tarda", "cuanto tiempo", "cuando llega", "cuantos dias", "plazo",
		"hoe lang", "hoe snel", "wanneer", "hoeveel dagen", "levertijd"},
	wantPrice: {"how much", "cost", "costs", "price", "fee", "charge", "expensive", "cheap", "free", "wie viel",
		"wieviel", "kosten", "kostet", "preis", "gebuhr", "gratis", "kostenlos", "combien", "prix", "cout", "coute",
		"frais", "cuanto cuesta", "cuanto", "precio", "coste", "costo", "hoeveel", "kost", "prijs", "tarief"},
	wantSteps: {"how do i", "how can i", "how to", "how should i", "steps", "what do i do", "what should i do",
		"wie kann ich", "wie mache ich", "was muss ich", "comment", "que dois-je", "como puedo", "como hago",
		"que tengo que", "hoe kan ik", "hoe moet ik", "wat moet ik"},
}

// askedFor returns the kinds of answer a question asks for, and the words
// of the phrases of several words that said so ("how long", "combien de
// temps"): they name the kind of answer, not its topic.
func askedFor(sent string) (intent, map[string]bool) {
	var in intent
	cue := map[string]bool{}
	for k, cues := range intentCues {
		for _, c := range cues {
			if strings.Contains(sent, " "+c+" ") {
				in |= k
				if strings.Contains(c, " ") {
					for _, w := range strings.Fields(c) {
						cue[w] = true
					}
				}
			}
		}
	}
	return in, cue
}
