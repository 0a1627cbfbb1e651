package security

import (
	"regexp"
	"slices"
	"strings"
)

// piiPrivateKeys finds PEM private key blocks, through their END line or the
// end of the text, and age secret keys.
func piiPrivateKeys(s string, c []Finding) []Finding {
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], "-----BEGIN ")
		if i < 0 {
			break
		}
		start := off + i
		h := strings.Index(s[start+11:], "-----")
		if h < 0 {
			break
		}
		body := start + 11 + h + 5
		if hdr := s[start+11 : start+11+h]; !strings.Contains(hdr, "PRIVATE KEY") || strings.ContainsAny(hdr, "\r\n") {
			off = body
			continue
		}
		end := len(s)
		if j := strings.Index(s[body:], "-----END "); j >= 0 {
			if k := strings.Index(s[body+j+9:], "-----"); k >= 0 {
				end = body + j + 9 + k + 5
			}
		}
		c = append(c, Finding{KindPrivateKey, start, end})
		off = end
	}
	const age = "AGE-SECRET-KEY-1"
	for off := 0; ; {
		i := strings.Index(s[off:], age)
		if i < 0 {
			return c
		}
		start := off + i
		end := start + len(age)
		for end < len(s) && (piiDigit(s[end]) || 'A' <= s[end] && s[end] <= 'Z') {
			end++
		}
		if end-start-len(age) >= 50 {
			c = append(c, Finding{KindPrivateKey, start, end})
		}
		off = end
	}
}

// piiAPIKeyRE matches well-known key formats; for "Bearer <token>" the first
// group is the token alone.
var piiAPIKeyRE = regexp.MustCompile(`(?i:\bbearer[ \t]+([a-z0-9._~+/=-]{20,}))|\b(?:` +
	`(?:AKIA|ASIA)[0-9A-Z]{16}\b|` +
	`gh[pousr]_[A-Za-z0-9]{36,}|` +
	`github_pat_[A-Za-z0-9_]{22,}|` +
	`[rs]k_(?:live|test)_[A-Za-z0-9]{16,}|` +
	`xox[abpr]-[A-Za-z0-9-]{10,}|` +
	`AIza[0-9A-Za-z_-]{35}|` +
	`sk-[A-Za-z0-9_-]{32,}|` +
	`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|` +
	`sdk_[A-Za-z0-9]{30,})`)

func piiAPIKeys(s, lower string, c []Finding) []Finding {
	// Most messages contain none of these, which saves running the regexp.
	if !strings.Contains(s, "_") && !strings.Contains(s, "AKIA") && !strings.Contains(s, "ASIA") &&
		!strings.Contains(s, "xox") && !strings.Contains(s, "AIza") && !strings.Contains(s, "sk-") &&
		!strings.Contains(s, "eyJ") && !strings.Contains(lower, "bearer") {
		return c
	}
	for _, m := range piiAPIKeyRE.FindAllStringSubmatchIndex(s, -1) {
		if m[2] >= 0 {
			m = m[2:]
		}
		c = append(c, Finding{KindAPIKey, m[0], m[1]})
	}
	return c
}

// Separators between the groups of a number: up to two spaces, up to two of
// these marks, and up to two spaces again, as in "4111 - 1111", "4111.1111"
// or "4111,  1111". Tabs and other spaces are spaces by then (FoldText).
const (
	piiNumberSeps = "-./_,()"
	piiIBANSeps   = "-./_,"
)

// piiSepEnd returns the end of the separator that starts at s[i], or i when
// there is none.
func piiSepEnd(s string, i int, marks string) int {
	j := i
	for _, set := range [...]string{" ", marks, " "} {
		for k := 0; k < 2 && j < len(s) && strings.IndexByte(set, s[j]) >= 0; k++ {
			j++
		}
	}
	return j
}

func piiCapital(c byte) bool { return 'A' <= c && c <= 'Z' }

// piiRun is a run of digit groups joined by short separators, such as
// "4111 1111 1111 1111", "123-45-6789" or "+1 (555) 123-4567".
type piiRun struct {
	s     string
	start int        // first byte, including a leading '+' or '('
	g     [24][2]int // byte spans of the digit groups
	n     int
}

func (r *piiRun) group(k int) string { return r.s[r.g[k][0]:r.g[k][1]] }

// sep is the separator between group k and group k+1.
func (r *piiRun) sep(k int) string { return r.s[r.g[k][1]:r.g[k+1][0]] }

// shape reports whether the groups from i on have the given lengths.
func (r *piiRun) shape(i int, lens ...int) bool {
	if i+len(lens) > r.n {
		return false
	}
	for k, l := range lens {
		if r.g[i+k][1]-r.g[i+k][0] != l {
			return false
		}
	}
	return true
}

// piiNumbers finds card numbers, SSNs and phone numbers.
func piiNumbers(s, lower string, c []Finding) []Finding {
	r := piiRun{s: s}
	for i := 0; i < len(s); {
		lead := (s[i] == '+' || s[i] == '(') && i+1 < len(s) && piiDigit(s[i+1])
		if !lead && !piiDigit(s[i]) {
			i++
			continue
		}
		if piiWordBefore(s, i) { // inside a word such as "A1234"
			for i++; i < len(s) && piiAlnum(s[i]); {
				i++
			}
			continue
		}
		r.start, r.n = i, 0
		if lead {
			i++
		}
		for r.n < len(r.g) {
			j := i
			for j < len(s) && piiDigit(s[j]) {
				j++
			}
			r.g[r.n] = [2]int{i, j}
			r.n++
			k := piiSepEnd(s, j, piiNumberSeps)
			if k == j || k == len(s) || !piiDigit(s[k]) {
				break
			}
			i = k
		}
		i = r.g[r.n-1][1]
		if piiWordAfter(s, i) { // the last group is glued to a word, as in "123abc"
			r.n--
			for i < len(s) && piiAlnum(s[i]) {
				i++
			}
		}
		c = piiCards(&r, c)
		c = piiSSNs(&r, lower, c)
		c = piiPhones(&r, c)
	}
	return c
}

// piiCards finds the longest Luhn-valid card number with a known issuer
// prefix made of whole groups, whatever separates them (see piiSepEnd)
// other than brackets.
func piiCards(r *piiRun, c []Finding) []Finding {
	for i := 0; i < r.n; i++ {
		var d [19]byte
		n, best := 0, -1
		for j := i; j < r.n; j++ {
			if j > i && strings.ContainsAny(r.sep(j-1), "()") || n+len(r.group(j)) > len(d) {
				break
			}
			n += copy(d[n:], r.group(j))
			if n >= 13 && piiLuhn(d[:n]) && piiIssuer(d[:n]) {
				best = j
			}
		}
		if best >= 0 {
			c = append(c, Finding{KindCard, r.g[i][0], r.g[best][1]})
			i = best
		}
	}
	return c
}

func piiLuhn(d []byte) bool {
	sum := 0
	for i := range d {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// piiIssuer checks the issuer prefix (IIN) and the length it allows.
func piiIssuer(d []byte) bool {
	p := func(k int) int {
		v := 0
		for _, ch := range d[:k] {
			v = v*10 + int(ch-'0')
		}
		return v
	}
	n, p2, p3, p4, p6 := len(d), p(2), p(3), p(4), p(6)
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34, p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p2 == 65, p3 >= 644 && p3 <= 649, p6 >= 622126 && p6 <= 622925, // Discover
		p2 == 62, p4 >= 3528 && p4 <= 3589, p4 >= 2200 && p4 <= 2204: // UnionPay, JCB, Mir
		return n >= 16
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14
	}
	return slices.Contains([]int{5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763}, p4) // Maestro
}

// piiSSNs finds AAA-GG-SSSS, and AAA GG SSSS or AAAGGSSSS near the words
// "SSN" or "social security".
func piiSSNs(r *piiRun, lower string, c []Finding) []Finding {
	joined := func(k int) bool { // group k is bound to group k+1 by more than a space
		return k >= 0 && k+1 < r.n && r.sep(k) != " "
	}
	context := func(i, j int) bool {
		w := lower[max(0, r.g[i][0]-40):min(len(lower), r.g[j][1]+30)]
		return strings.Contains(w, "ssn") || strings.Contains(w, "social security")
	}
	valid := func(a, g, s string) bool {
		return a != "000" && a != "666" && a[0] != '9' && g != "00" && s != "0000"
	}
	for i := 0; i < r.n; i++ {
		if joined(i - 1) {
			continue
		}
		if r.shape(i, 3, 2, 4) && !joined(i+2) && r.sep(i) == r.sep(i+1) &&
			(r.sep(i) == "-" || r.sep(i) == " " && context(i, i+2)) &&
			valid(r.group(i), r.group(i+1), r.group(i+2)) {
			c = append(c, Finding{KindSSN, r.g[i][0], r.g[i+2][1]})
			i += 2
		} else if g := r.group(i); len(g) == 9 && !joined(i) && valid(g[:3], g[3:5], g[5:]) && context(i, i) {
			c = append(c, Finding{KindSSN, r.g[i][0], r.g[i][1]})
		}
	}
	return c
}

// piiPhones finds international numbers (+ and 8–15 digits), North American
// numbers written 555-123-4567 or (555) 123 4567, and national numbers
// starting with 0 written in 2 or more groups of 10–11 digits in all.
func piiPhones(r *piiRun, c []Finding) []Finding {
	if r.s[r.start] == '+' {
		total, last := 0, -1
		for j := 0; j < r.n && total+len(r.group(j)) <= 15; j++ {
			total, last = total+len(r.group(j)), j
		}
		if total >= 8 {
			c = append(c, Finding{KindPhone, r.start, r.g[last][1]})
		}
		return c
	}
	for i := 0; i < r.n; i++ {
		end := -1
		switch {
		case r.shape(i, 1, 3, 3, 4) && r.group(i) == "1":
			end = i + 3
		case r.shape(i, 3, 3, 4):
			end = i + 2
		case r.group(i)[0] == '0':
			for j, total := i, 0; j < r.n && (j == i || r.sep(j-1) == " " || r.sep(j-1) == "-"); j++ {
				if total += len(r.group(j)); j > i && total >= 10 && total <= 11 {
					end = j
				}
			}
		}
		if end >= 0 {
			start := r.g[i][0]
			if i == 0 {
				start = r.start
			}
			c = append(c, Finding{KindPhone, start, r.g[end][1]})
			i = end
		}
	}
	return c
}
