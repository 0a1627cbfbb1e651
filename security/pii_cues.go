package security

import (
	"strings"
	"unicode"
)

// piiCue is a word that announces a password, PIN or code.
type piiCue struct {
	word   string
	kind   Kind
	digits bool // the value is a number
	loose  bool // the value may follow without "is" or ":", as in "otp 123456"
}

var piiCueList = func() []piiCue {
	var l []piiCue
	for _, w := range strings.Split("password|passwd|passwort|kennwort|passcode|passphrase|mot de passe|contraseña|contrasena|senha|wachtwoord|pwd|pw", "|") {
		l = append(l, piiCue{w, KindPassword, false, false})
	}
	return append(l, piiCue{"pin", KindPassword, true, false}, piiCue{"code", KindOTP, true, false},
		piiCue{"otp", KindOTP, true, true}, piiCue{"totp", KindOTP, true, true},
		piiCue{"2fa", KindOTP, true, true}, piiCue{"mfa", KindOTP, true, true})
}()

var (
	// piiOTPWords before "code" make it a one-time code; piiOtherCodes make it something else.
	piiOTPWords   = piiSet("verification verify otp 2fa mfa totp security login log-in sign-in signin sms text one-time onetime time auth authentication authenticator confirmation access email e-mail reset recovery backup")
	piiOtherCodes = piiSet("error zip postal post promo promotional discount coupon voucher gift tracking product order reference ref status exit source qr bar country area dial tax swift sort bank branch dress region response http referral invite invitation sku item color colour offer sale shipping reason return department airport course class iso html")
	// piiNotSecrets follow "password is" in ordinary sentences ("my password is not working").
	piiNotSecrets = piiSet("a an the not no wrong incorrect invalid expired expiring too being been still correct right working reset required changed locked same missing lost stolen forgotten weak strong short long empty blank saved stored there here what it that this in on for of to and or my your case also already set needed accepted rejected compromised hacked leaked shown visible hidden different ok okay fine broken failing bad good unknown secure easy hard simple mandatory at by as so just very only then sent updated blocked disabled enabled new old current valid like more less from with without encrypted hashed asked now falsch nicht abgelaufen richtig faux incorrect incorrecte expiré incorrecta incorrecto caducada errada errado inválida invalida")
	piiVerbs      = []string{"is", "was", "ist", "est", "es", "era", "é", "war"}
	piiQuotes     = [][2]string{{`"`, `"`}, {"'", "'"}, {"`", "`"}, {"“", "”"}, {"‘", "’"}, {"«", "»"}, {"„", "“"}}
)

func piiSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// piiCues finds the values after cue words: "my password is X", "pw=X",
// "pin: 1234", "the code is 123456", "otp 123456".
func piiCues(lower string, c []Finding) []Finding {
	// One pass over word starts is much faster than searching for each cue.
	for i := 0; i < len(lower); i++ {
		if i > 0 && piiAlnum(lower[i-1]) || !piiAlnum(lower[i]) {
			continue
		}
		for _, q := range piiCueList {
			en := i + len(q.word)
			if q.word[0] != lower[i] || !strings.HasPrefix(lower[i:], q.word) ||
				piiWordBefore(lower, i) || piiWordAfter(lower, en) {
				continue
			}
			if f, ok := piiCueValue(lower, q, i, en); ok {
				c = append(c, f)
			}
		}
	}
	return c
}

func piiCueValue(l string, q piiCue, st, en int) (Finding, bool) {
	loose, lo, hi := q.loose, 4, 8
	switch q.word {
	case "pin":
		hi = 12
	case "code":
		w := piiPrevWord(l, st)
		if piiOtherCodes[w] {
			return Finding{}, false
		}
		if loose = piiOTPWords[w]; !loose {
			lo = 6
		}
	}
	i := en
	if q.digits { // "pin code is", "2fa code:", "pin number is"
		for _, w := range []string{" code", " number"} {
			if strings.HasPrefix(l[i:], w) && !piiWordAfter(l, i+len(w)) {
				i += len(w)
				break
			}
		}
	}
	i, joined := piiConnector(l, i)
	if !joined && !loose {
		return Finding{}, false
	}
	if i = piiSkipBlank(l, i); joined && i < len(l) && l[i] == '\n' {
		i = piiSkipBlank(l, i+1) // "Password:\nhunter2"
	}
	if i == len(l) || l[i] == '[' { // nothing, or already redacted
		return Finding{}, false
	}
	if q.digits {
		return piiDigitValue(l, i, q.kind, lo, hi)
	}
	return piiWordValue(l, i)
}

func piiSkipBlank(l string, i int) int {
	for i < len(l) && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r') {
		i++
	}
	return i
}

func piiPrevWord(l string, st int) string {
	e := st
	for e > 0 && (l[e-1] == ' ' || l[e-1] == '\t') {
		e--
	}
	b := e
	for b > 0 && (piiAlnum(l[b-1]) || l[b-1] == '-') {
		b--
	}
	return l[b:e]
}

// piiConnector reads "is", "was", ":", "=" and their translations after a
// cue word and reports whether there was one.
func piiConnector(l string, i int) (int, bool) {
	j := piiSkipBlank(l, i)
	if j < len(l) && (l[j] == '"' || l[j] == '\'') { // a quoted key: "password": "…"
		if k := piiSkipBlank(l, j+1); k < len(l) && (l[k] == ':' || l[k] == '=') {
			j = k
		}
	}
	if j < len(l) && (l[j] == ':' || l[j] == '=') {
		return j + 1, true
	}
	if j == i {
		return i, false
	}
	for _, v := range piiVerbs {
		if strings.HasPrefix(l[j:], v) && !piiWordAfter(l, j+len(v)) {
			k := piiSkipBlank(l, j+len(v))
			if strings.HasPrefix(l[k:], "now") && !piiWordAfter(l, k+3) {
				k = piiSkipBlank(l, k+3)
			}
			if k < len(l) && l[k] == ':' {
				k++
			}
			return k, true
		}
	}
	return i, false
}

// piiDigitValue reads a PIN or code of lo–hi digits, possibly split in two
// groups ("123 456"), that is not part of a longer number.
func piiDigitValue(l string, i int, k Kind, lo, hi int) (Finding, bool) {
	j := i
	for j < len(l) && piiDigit(l[j]) {
		j++
	}
	n := j - i
	if (n == 3 || n == 4) && j+1 < len(l) && (l[j] == ' ' || l[j] == '-') && piiDigit(l[j+1]) {
		e := j + 1
		for e < len(l) && piiDigit(l[e]) {
			e++
		}
		if m := e - j - 1; m == 3 || m == 4 {
			j, n = e, n+m
		}
	}
	if n < lo || n > hi || piiWordAfter(l, j) ||
		j+1 < len(l) && strings.IndexByte(" -.", l[j]) >= 0 && piiDigit(l[j+1]) {
		return Finding{}, false
	}
	return Finding{k, i, j}, true
}

// piiWordValue reads a password: a quoted string, or everything up to the
// next space without trailing punctuation. Ordinary words that follow
// "password is" in a sentence are not passwords.
func piiWordValue(l string, i int) (Finding, bool) {
	for _, q := range piiQuotes {
		if strings.HasPrefix(l[i:], q[0]) {
			v := i + len(q[0])
			if e := strings.Index(l[v:min(len(l), v+200)], q[1]); e > 0 && !strings.ContainsAny(l[v:v+e], "\r\n") {
				return Finding{KindPassword, v, v + e}, true
			}
			break
		}
	}
	e := i
	for e < len(l) && l[e] != ' ' && l[e] != '\t' && l[e] != '\r' && l[e] != '\n' {
		e++
	}
	for e > i+1 && strings.IndexByte(`.,;:?)]}"'`, l[e-1]) >= 0 {
		e--
	}
	if e-i < 3 || piiNotSecrets[l[i:e]] {
		return Finding{}, false
	}
	return Finding{KindPassword, i, e}, true
}

// piiEmails finds plain email addresses (ASCII local part and domain).
func piiEmails(s string, c []Finding) []Finding {
	local := func(ch byte) bool { return piiAlnum(ch) || strings.IndexByte("._%+-", ch) >= 0 }
	for off := 0; ; {
		k := strings.IndexByte(s[off:], '@')
		if k < 0 {
			return c
		}
		at := off + k
		off = at + 1
		a := at
		for a > 0 && local(s[a-1]) {
			a--
		}
		for a < at && s[a] == '.' {
			a++
		}
		b := at + 1
		for b < len(s) && (piiAlnum(s[b]) || s[b] == '.' || s[b] == '-') {
			b++
		}
		for b > at+1 && (s[b-1] == '.' || s[b-1] == '-') {
			b--
		}
		dot := strings.LastIndexByte(s[at+1:b], '.')
		if a == at || dot <= 0 || b-(at+1+dot+1) < 2 {
			continue
		}
		tld := s[at+1+dot+1 : b]
		if strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
			c = append(c, Finding{KindEmail, a, b})
		}
	}
}
