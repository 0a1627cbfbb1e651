package bot

import (
	"regexp"
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
var languages = [...]string{langEN, langDE, langFR, langES, langNL}

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

// term is a word as the index keys it: its stem in lang, tagged with the
// language, so that a question's word stemmed in one language never meets
// another language's word that happens to stem to the same letters
// ("delai" is "del" in French, and "del" is a Spanish word).
func term(lang, w string) string { return lang + ":" + stemIn(lang, w) }

// stemOf is the stem part of a term.
func stemOf(t string) string {
	if i := strings.IndexByte(t, ':'); i >= 0 {
		return t[i+1:]
	}
	return t
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
		dich die dir doch bist seid waren gewesen hast hatten wirst wurden kannst konnte musst mussen darf durfen du ein eine einem einen einer eines er es etwas euch euer für gibt hab habe haben hallo hat
		hatte hier ich ihr ihre im in ist ja jetzt kann kein keine man mein meine meinem meinen meiner mich mir mit
		muss nach nicht noch nun nur ob oder ohne sein seine sich sie sind so soll über um und uns unser unsere von vor
		war was welche welcher wenn wer werde werden wie wieso will wir wird wo zu zum zur sehr schon danke
		machen mache macht gibt bekomme bekommen geht tun soll sollte möchte mochte würde wurde eigentlich bitte mal dauert
		aber alle allem allen aller alles als also am an andere anderem anderen anderer anderes anders auch auf aus
		bei bin bis bist da damit dann der den des dem die das dass daß dazu dein deine deinem deinen deiner deines
		denn derer dessen dich dir du dies diese diesem diesen dieser dieses doch dort durch ein eine einem einen
		einer eines einige einigen er ihn ihm es etwas euer eure eurem euren eurer eures für gegen gewesen hab habe
		haben hat hatte hatten hier hin ich mich mir ihr ihre ihrem ihren ihrer ihres euch im in indem ins ist jede
		jedem jeden jeder jedes jetzt kann kein keine keinem keinen keiner keines können könnte könnt konnen man
		mein meine meinem meinen meiner meines mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein
		seine seinem seinen seiner seines selbst sich sie ihnen sind so solche soll sollte sondern sonst über um und
		uns unsere unserem unseren unser unseres unter vom von vor während war waren warst was weil welche welchem
		welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu
		zum zur zwar brauche brauchst braucht brauchen brauchte gehe gehst geht gehen ging komme kommst kommt kommen
		kam sehe siehst sieht sehen weiss weißt wissen wohne wohnst wohnt wohnen lebe lebt mache machst macht machen
		tue tust tut tun gebe gibst gibt geben hätte hätten ihr euch eure dafür darf dürfen kannst könntet sollen
		sollte möchte möchten möglich bitte irgendwie eigentlich gerne gern leider`,
	langFR: `a ai au aux avec avez avoir bonjour ce ces cette comment d dans de des du elle en est et etre il ils j je
		l la le les leur lui m ma mais me merci mes moi mon n ne nos notre nous on ou où par pas peut peux plus pour
		puis qu que qui s sa se ses si son sont sur ta te tes toi ton tu un une vos votre vous y c est-ce quoi quel
		quelle quels quelles cest jai svp ça ca
		suis es sommes etes etais etait etions etaient ete avais avait avons avez ont sera seront font vais va vont pouvez dois devez voulez prend prendre faire fait faut mettre avoir être etre aller veux voudrais dois doit pourquoi passe-t-il quoi
		au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi mon ne
		nos notre nous on ou par pas qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l
		à m n s t y été étée étés étant suis es est sommes êtes sont serai sera serons seront serais serait étais
		était étions étaient fus fut avons avez ont aurai aura aurons auront aurais aurait avais avait avions
		avaient ai as fais faisons faites font faire vais vas allons allez aller viens vient venons venez viennent
		venir sais sait savons savez savoir veux veut voulons voulez veulent vouloir peux peut pouvons pouvez
		peuvent pouvoir dois doit devons devez doivent devoir besoin habite habites habitez habiter chez bonjour
		merci svp aide quelqu quelque`,
	langES: `a al algo como con cual de del el ella en es esta este esto estoy gracias hay hola la las le lo los me
		mi mis muy más mas no nos o para pero por puede puedo que qué se si sin sobre su sus te tengo ti tu tus un
		una uno y ya yo cómo cuál cuando cuándo donde dónde he ha han hace
		soy eres somos son era eran fue fueron hemos habia pueden debo quiere hacer tengo quiero pido tiene tienen debe puede gustaria favor tarda
		de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o este sí porque
		esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno les ni
		contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho
		quienes nada muchos cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus ellas nosotras
		vosotros vosotras os mío mía míos mías tuyo tuya suyo suya nuestro nuestra vuestro vuestra esos esas estoy
		estás está estamos estáis están esté estaba he has ha hemos habéis han haya había habría soy eres es somos
		sois son sea era fui fue fueron tengo tienes tiene tenemos tenéis tienen tenga tenía tuve hago haces hace
		hacemos hacéis hacen hacer puedo puedes puede podemos podéis pueden poder podria podría quiero quieres
		quiere queremos quieren querer necesito necesitas necesita necesitan necesitamos sé sabes sabe saber voy vas
		va vamos ir vengo viene vienen venir vivo vives vive vivimos viven vivir doy das da dan dar debo debe deben
		deber gustaría favor hola gracias ayuda alguien`,
	langNL: `aan al alle als ben bij dan dat de deze die dit doe doen een en er hallo heb hebben heeft het hier hij
		hoe ik in is je jij kan kun kunnen maar me mij mijn met moet moeten na naar niet nog nu of om ons onze ook op
		te tot u uw van voor waar wat we wel wie wij wil zal ze zij zijn zo dank bedankt graag
		bent waren geweest hebt hadden word werd mag mogen willen zou zouden jullie krijg krijgen doen laten kunt wordt worden was had toen niks iets duurt
		de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om hem dan zou of
		wat mijn men dit zo ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft hebben deze u want nog
		zal me zij nu ge geen omdat iets worden toch al waren veel meer doen toen moet ben zonder kan hun dus alles
		onder ja eens hier wie werd altijd doch wordt wezen kunnen ons zelf tegen na reeds wil kon niets uw iemand
		geweest andere doe doet gaan ga gaat ging komen kom komt kwam zien zie ziet weten weet nodig woon woont
		wonen krijg krijgt krijgen kunt kun mag mogen moeten willen wilt jullie graag alstublieft alsjeblieft hallo
		bedankt hulp even`,
}

// negations mark a heading about what is excluded or what went wrong
// ("Outside the EU", "What's not covered", "Didn't get the email?"): when
// the question itself negates nothing, such a heading matched only by the
// question's topic is weaker evidence; when it does ("the link is not
// arriving"), it is the kind of section that answers.
var negations = wordSet(`not no outside except excluding without cannot cant isnt dont didnt doesnt hasnt havent
	wasnt werent wont arent never nothing nobody longer
	nicht kein keine keinen ausser außerhalb ohne nie niemand nichts
	pas non hors sauf sans jamais rien personne
	fuera excepto sin nunca nada nadie
	niet geen buiten behalve zonder nooit niks niemand`)

// troubles are words, besides the negations, that tell something went
// wrong: in a question ("the button is gone", "already shipped") and in
// the heading of the section that says what to do then ("Too late?",
// "Lost your phone?").
var troubles = wordSet(`late lost stolen missing gone disappeared stuck already anymore expired
	spat verloren fehlt schon abgelaufen
	tard perdu vole manque deja expire
	tarde ya perdido robado falta caducado
	laat kwijt verloren ontbreekt verlopen stil`)

// negationTerms are the negations as the index keys them, in every
// language.
var negationTerms = func() map[string]bool {
	m := map[string]bool{}
	for w := range negations {
		for _, l := range languages {
			m[term(l, w)] = true
		}
	}
	return m
}()

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

// stopCounts counts a question's stopwords in each language.
func stopCounts(toks []string, english map[string]bool) [len(languages)]int {
	var n [len(languages)]int
	for i, l := range languages {
		for _, t := range toks {
			if (l == langEN && english[t]) || stopIn[l][t] {
				n[i]++
			}
		}
	}
	return n
}

// detectLanguage guesses the language of a question from its stopwords,
// falling back to def: short questions often have none.
func detectLanguage(toks []string, english map[string]bool, def string) string {
	best, bestN := def, 0
	for i, n := range stopCounts(toks, english) {
		if l := languages[i]; n > bestN || (n == bestN && n > 0 && l == def) {
			best, bestN = l, n
		}
	}
	return best
}

// langBit is a language's bit in a set of languages; allLangs has them all.
func langBit(l string) uint8 {
	for i, x := range languages {
		if x == l {
			return 1 << i
		}
	}
	return 0
}

const allLangs uint8 = 1<<len(languages) - 1

// questionLangs is the set of languages a question may be in: the ones
// whose stopwords it has most of, or all when it has none.
func questionLangs(toks []string, english map[string]bool) uint8 {
	var set uint8
	bestN := 0
	for i, n := range stopCounts(toks, english) {
		switch {
		case n > bestN:
			set, bestN = 1<<i, n
		case n == bestN && n > 0:
			set |= 1 << i
		}
	}
	if set == 0 {
		return allLangs
	}
	return set
}

// normLang returns l if it is a language the assistant speaks, else def.
func normLang(l, def string) string {
	if _, ok := stemmers[l]; ok {
		return l
	}
	return def
}

// intent is what kind of answer a question asks for, besides its topic:
// a duration, a price, steps to follow, how often, a time of day. A section that has one matches a
// question that asks for it a little better.
type intent uint8

const (
	wantDuration intent = 1 << iota
	wantPrice
	wantSteps
	wantFrequency
	wantTime
)

// intentCues are the phrases that ask for each kind of answer, in every
// language, matched on the question's words (sentence()); a "*" stands for
// any one word ("wie * ich": "wie schicke ich").
var intentCues = map[intent][]string{
	wantDuration: {"how long", "how long does * take", "how long do * take", "how long will * take", "how long would * take",
		"how long does it take", "how long will it take", "how long it takes", "how many days", "how many weeks", "how many hours", "how soon", "when will", "when does",
		"when do", "how quickly", "how fast", "wie lange", "wie schnell", "wann", "dauert", "combien de temps",
		"en combien de", "quand", "delai", "delais", "cuanto tarda", "cuanto tiempo", "cuando", "cuantos dias", "plazo",
		"tarda", "hoe lang", "hoe snel", "wanneer", "hoeveel dagen", "levertijd", "duurt"},
	wantPrice: {"how much", "cost", "costs", "price", "fee", "charge", "expensive", "cheap", "free", "wie viel",
		"wieviel", "kosten", "kostet", "preis", "gebuhr", "gratis", "kostenlos", "combien", "prix", "cout", "coute",
		"frais", "cuanto cuesta", "cuanto", "cuesta", "precio", "coste", "costo", "hoeveel", "kost", "prijs", "tarief"},
	wantSteps: {"how do i", "how can i", "how to", "how should i", "how does one", "steps", "what do i do",
		"what should i do", "wie * ich", "was muss ich", "comment", "que dois-je", "como puedo", "como * ", "que tengo que",
		"hoe * ik", "hoe moet ik", "wat moet ik"},
	wantFrequency: {"how often", "how frequently", "how regularly", "every day", "every week", "every month", "every year",
		"every few", "once a", "twice a", "wie oft", "wie haufig", "combien de fois",
		"a quelle frequence", "tous les combien", "cada cuanto", "con que frecuencia", "hoe vaak", "hoe dikwijls"},
	wantTime: {"what time", "when are you", "when is", "what hours", "which hours", "until when", "how late", "how early",
		"um wie viel uhr", "um wieviel uhr", "bis wann", "a quelle heure", "jusqu a quelle heure", "a que hora",
		"hasta que hora", "hoe laat", "tot hoe laat"},
}

// cueWords are the words of intentCues.
var cueWords = func() map[string]bool {
	m := map[string]bool{}
	for _, cs := range intentCues {
		for _, c := range cs {
			for _, w := range strings.Fields(c) {
				if w != "*" {
					m[w] = true
				}
			}
		}
	}
	return m
}()

// cue is one phrase of intentCues, compiled.
type cue struct {
	in    intent
	re    *regexp.Regexp
	words []string // its words, but the wildcards
}

// cues are intentCues compiled, in a fixed order.
var cues = func() []cue {
	var out []cue
	for _, in := range []intent{wantDuration, wantPrice, wantSteps, wantFrequency, wantTime} {
		for _, c := range intentCues[in] {
			var pat []string
			var ws []string
			for _, w := range strings.Fields(c) {
				if w == "*" {
					pat = append(pat, `[^ ]+`)
					continue
				}
				pat = append(pat, regexp.QuoteMeta(w))
				ws = append(ws, w)
			}
			out = append(out, cue{in: in, re: regexp.MustCompile(" " + strings.Join(pat, " ") + " "), words: ws})
		}
	}
	return out
}()

// insideLonger reports whether c's phrase is part of a longer phrase of
// another kind among matched.
func insideLonger(c cue, matched []cue) bool {
	p := " " + strings.Join(c.words, " ") + " "
	for _, o := range matched {
		if o.in != c.in && len(o.words) > len(c.words) && strings.Contains(" "+strings.Join(o.words, " ")+" ", p) {
			return true
		}
	}
	return false
}

// askedFor returns the kinds of answer a question asks for, and the words
// that said so: those of phrases of several words ("how long", "combien de
// temps") name the kind of answer, not its topic, and are true; a cue of
// one word ("cost", "combien") may name the topic too, and is false.
func askedFor(sent string) (intent, map[string]bool) {
	var in intent
	var matched []cue
	for _, c := range cues {
		if c.re.MatchString(sent) {
			matched = append(matched, c)
		}
	}
	said := map[string]bool{}
	for _, c := range matched {
		if insideLonger(c, matched) {
			continue // "combien" of "tous les combien" asks how often, not how much
		}
		in |= c.in
		for _, w := range c.words {
			said[w] = said[w] || len(c.words) > 1
		}
	}
	return in, said
}
