package security

// piiIBANLengths holds the IBAN length of common countries; others must be
// written in upper case and be 15–32 characters long.
var piiIBANLengths = map[string]int{
	"AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24,
	"DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
	"KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24,
	"RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}

// piiIBANs finds IBANs written compact or in groups, whatever separates
// the groups ("DE89 3704 …", "DE89-3704-…", "DE89.3704.…"), and with the
// country code apart from the check digits when it is in capitals ("DE 89
// 3704 …"). A group after a separator must hold a digit or be four letters
// (a bank code such as "WEST"), so that the words after a number are not
// read as part of it.
func piiIBANs(s string, c []Finding) []Finding {
	for i := 0; i+15 <= len(s); i++ {
		if !piiLetter(s[i]) || !piiLetter(s[i+1]) || piiWordBefore(s, i) {
			continue
		}
		k := i + 2
		if !piiDigit(s[k]) {
			if !piiCapital(s[i]) || !piiCapital(s[i+1]) {
				continue
			}
			k = piiSepEnd(s, k, piiIBANSeps)
		}
		if k+1 >= len(s) || !piiDigit(s[k]) || !piiDigit(s[k+1]) {
			continue
		}
		var buf [34]byte
		var ends [34]int // byte offset just past each collected character
		buf[0], buf[1], ends[0], ends[1] = piiUpper(s[i]), piiUpper(s[i+1]), i+1, i+2
		n := 2
		for k < len(s) && n < len(buf) {
			if piiAlnum(s[k]) {
				buf[n], ends[n] = piiUpper(s[k]), k+1
				n++
				k++
				continue
			}
			e := piiSepEnd(s, k, piiIBANSeps)
			if n < 4 || e == k || !piiIBANGroup(s, e) {
				break
			}
			k = e
		}
		lo, hi := 15, 32
		if want, ok := piiIBANLengths[string(buf[:2])]; ok {
			lo, hi = want, want
		} else if s[i] != buf[0] || s[i+1] != buf[1] {
			continue
		}
		for l := min(n, hi); l >= lo; l-- {
			if !piiWordAfter(s, ends[l-1]) && piiMod97(buf[:l]) {
				c = append(c, Finding{KindIBAN, i, ends[l-1]})
				i = ends[l-1] - 1
				break
			}
		}
	}
	return c
}

// piiIBANGroup reports whether the characters from s[i] up to the next
// separator can continue an IBAN: they hold a digit or are four letters.
func piiIBANGroup(s string, i int) bool {
	j, digit := i, false
	for j < len(s) && piiAlnum(s[j]) {
		digit = digit || piiDigit(s[j])
		j++
	}
	return j > i && (digit || j-i == 4)
}

func piiUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 32
	}
	return c
}

// piiMod97 checks an upper-case IBAN: moved the country code and check digits
// to the end and read as a number, it must leave 1 when divided by 97.
func piiMod97(b []byte) bool {
	if b[2] == '0' && b[3] < '2' || b[2] == '9' && b[3] == '9' {
		return false
	}
	r := 0
	for i := range b {
		ch := b[(i+4)%len(b)]
		if piiDigit(ch) {
			r = (r*10 + int(ch-'0')) % 97
		} else {
			r = (r*100 + int(ch-'A') + 10) % 97
		}
	}
	return r == 1
}
