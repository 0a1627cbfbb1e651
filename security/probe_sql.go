package security

import "strings"

// SQL injection rules of ScanPayload. Each looks for the shape of an attack,
// not a keyword: "select a size" and "my order (1=1?)" are ordinary text,
// "' or 1=1--" is not.

// scanQuote checks what follows a quote, where a string literal would be
// broken out of: a comment (admin'--), a stacked query ('; drop table), or a
// boolean operator with a comparison (' or 'a'='a).
func scanQuote(s string, i int) (string, bool) {
	j := i + 1
	for j < len(s) && s[j] == ')' {
		j++
	}
	if scanHasAt(s, j, "--") || scanHasAt(s, j, "/*") ||
		(j < len(s) && s[j] == '#' && (j+1 == len(s) || scanSpace(s[j+1]))) {
		return "sql: comment after quote", true
	}
	k := scanSkipSQL(s, j)
	if k < len(s) && s[k] == ';' {
		m := scanSkipSQL(s, k+1)
		if m == len(s) || scanHasAt(s, m, "--") || scanStatement(s, m) {
			return "sql: stacked query", true
		}
	}
	// "admin' -- " ends the query; "'hi' -- thanks" is prose.
	if (scanHasAt(s, k, "--") && !scanHasLetter(s[k+2:])) ||
		(scanHasAt(s, k, "#") && scanSkipSpace(s, k+1) == len(s)) {
		return "sql: comment after quote", true
	}
	n := scanBoolOp(s, k)
	if n == 0 {
		return "", false
	}
	m := scanSkipSQL(s, k+n)
	w := s[m:min(len(s), m+40)]
	if strings.ContainsAny(w, "=<>") || strings.Contains(w, "--") ||
		scanIndex(w, "(select") >= 0 || scanIndex(w, " like '") >= 0 {
		return "sql: boolean injection", true
	}
	return "", false
}

// scanBoolOp returns the length of a boolean operator at s[k:], or 0.
func scanBoolOp(s string, k int) int {
	switch {
	case scanHasAt(s, k, "||"), scanHasAt(s, k, "&&"):
		return 2
	case scanWordAt(s, k, "or"):
		return 2
	case scanWordAt(s, k, "and"), scanWordAt(s, k, "xor"):
		return 3
	}
	return 0
}

// scanStatement reports whether an SQL statement starts at s[m:].
func scanStatement(s string, m int) bool {
	for _, w := range [...]string{"drop", "truncate", "shutdown", "exec", "execute", "declare",
		"select", "insert", "update", "delete", "alter", "create", "waitfor", "union"} {
		if scanWordAt(s, m, w) {
			return true
		}
	}
	return false
}

// scanTautology checks "or 1=1", "and 'a'='a", "or x like x": a boolean
// operator (of length n at s[i:]) followed by a comparison of equal operands.
func scanTautology(s string, i, n int) (string, bool) {
	m := scanSkipSQL(s, i+n)
	a, aq, m, ok := scanOperand(s, m)
	if !ok {
		return "", false
	}
	m = scanSkipSQL(s, m)
	switch {
	case m < len(s) && s[m] == '=':
		m++
		if m < len(s) && s[m] == '=' {
			m++
		}
	case scanWordAt(s, m, "like"):
		m += 4
	default:
		return "", false
	}
	m = scanSkipSQL(s, m)
	b, bq, _, ok := scanOperand(s, m)
	if ok && (a != "" || aq || bq) && strings.EqualFold(a, b) {
		return "sql: tautology", true
	}
	return "", false
}

// scanOperand reads a quoted string (its content, even unterminated, as an
// injection leaves the closing quote to the server's query) or a word.
func scanOperand(s string, m int) (text string, quoted bool, end int, ok bool) {
	const most = 32
	if m >= len(s) {
		return "", false, m, false
	}
	if q := s[m]; q == '\'' || q == '"' {
		rest := s[m+1 : min(len(s), m+1+most)]
		if c := strings.IndexByte(rest, q); c >= 0 {
			return rest[:c], true, m + 1 + c + 1, true
		}
		return rest, true, m + 1 + len(rest), true
	}
	e := m
	for e < len(s) && e-m < most && scanWordByte(s[e]) {
		e++
	}
	return s[m:e], false, e, e > m
}

// scanUnion checks "union [all|distinct] select", comments allowed between.
func scanUnion(s string, i int) (string, bool) {
	if !scanWordAt(s, i, "union") {
		return "", false
	}
	m := scanSkipSQL(s, i+5)
	if scanWordAt(s, m, "all") {
		m = scanSkipSQL(s, m+3)
	} else if scanWordAt(s, m, "distinct") {
		m = scanSkipSQL(s, m+8)
	}
	if scanWordAt(s, m, "select") {
		return "sql: union select", true
	}
	return "", false
}

// scanDelayCall checks time-based blind injection, a call such as
// sleep(5), pg_sleep(5) or benchmark(1000000, …) with a number.
func scanDelayCall(s string, i int, name string) (string, bool) {
	if m, ok := scanCallAt(s, i, name); ok {
		if m = scanSkipSpace(s, m); m < len(s) && scanDigit(s[m]) {
			return "sql: time delay", true
		}
	}
	return "", false
}

// scanFuncCall checks a call of a function that only an attack uses.
func scanFuncCall(s string, i int, name string) (string, bool) {
	if _, ok := scanCallAt(s, i, name); ok {
		return "sql: function", true
	}
	return "", false
}

// scanSQLWord checks the words that start with the letter at s[i] and
// appear only in SQL attacks.
func scanSQLWord(s string, i int) (string, bool) {
	switch scanLower(s[i]) {
	case 'w':
		if scanWordAt(s, i, "waitfor") && scanWordAt(s, scanSkipSQL(s, i+7), "delay") {
			return "sql: time delay", true
		}
	case 'i':
		if scanHasAt(s, i, "information_schema") {
			return "sql: system object", true
		}
		if scanWordAt(s, i, "into") {
			m := scanSkipSQL(s, i+4)
			if scanWordAt(s, m, "outfile") || scanWordAt(s, m, "dumpfile") {
				return "sql: file write", true
			}
		}
	case 'x':
		if scanWordAt(s, i, "xp_cmdshell") {
			return "sql: system object", true
		}
	}
	return "", false
}

// scanSemicolon checks a stacked statement after a bare semicolon; prose
// such as "; drop me a line" or "; shutdown the old account" passes.
func scanSemicolon(s string, i int) (string, bool) {
	m := scanSkipSQL(s, i+1)
	after := func(w string) int { return scanSkipSQL(s, m+len(w)) }
	hit := false
	switch {
	case scanWordAt(s, m, "drop"):
		n := after("drop")
		hit = scanWordAt(s, n, "table") || scanWordAt(s, n, "database") ||
			scanWordAt(s, n, "schema") || scanWordAt(s, n, "user")
	case scanWordAt(s, m, "truncate"):
		hit = scanWordAt(s, after("truncate"), "table")
	case scanWordAt(s, m, "shutdown"):
		n := after("shutdown")
		hit = n == len(s) || !scanLetter(s[n])
	case scanWordAt(s, m, "exec"), scanWordAt(s, m, "execute"):
		n := scanSkipSQL(s, m+4)
		if scanHasAt(s, n, "ute") {
			n = scanSkipSQL(s, n+3)
		}
		hit = scanHasAt(s, n, "xp_") || scanHasAt(s, n, "sp_") || scanHasAt(s, n, "master.")
	case scanWordAt(s, m, "declare"):
		hit = scanHasAt(s, after("declare"), "@")
	case scanWordAt(s, m, "select"):
		n := after("select")
		hit = scanHasAt(s, n, "*") || scanHasAt(s, n, "@@")
	}
	if hit {
		return "sql: stacked query", true
	}
	return "", false
}

// scanSkipSQL skips what SQL treats as nothing between tokens: white space,
// parentheses and /* comments */.
func scanSkipSQL(s string, i int) int {
	for i < len(s) {
		switch c := s[i]; {
		case scanSpace(c), c == '(', c == ')':
			i++
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return len(s)
			}
			i += 2 + end + 2
		default:
			return i
		}
	}
	return i
}

// scanSkipSpace skips white space.
func scanSkipSpace(s string, i int) int {
	for i < len(s) && scanSpace(s[i]) {
		i++
	}
	return i
}

// scanCallAt reports whether the word name, then '(' (white space allowed),
// starts at s[i:], and returns the index after the parenthesis.
func scanCallAt(s string, i int, name string) (int, bool) {
	if !scanWordAt(s, i, name) {
		return 0, false
	}
	m := scanSkipSpace(s, i+len(name))
	if m < len(s) && s[m] == '(' {
		return m + 1, true
	}
	return 0, false
}

// scanWordAt reports whether the lower-case word w is at s[i:] and not
// followed by another word byte.
func scanWordAt(s string, i int, w string) bool {
	e := i + len(w)
	return scanHasAt(s, i, w) && (e == len(s) || !scanWordByte(s[e]))
}

// scanHasAt reports whether the lower-case ASCII sub is at s[i:], ignoring
// case; i may be out of range.
func scanHasAt(s string, i int, sub string) bool {
	if i < 0 || len(s)-i < len(sub) {
		return false
	}
	for j := 0; j < len(sub); j++ {
		if scanLower(s[i+j]) != sub[j] {
			return false
		}
	}
	return true
}

// scanIndex is strings.Index ignoring ASCII case; sub is lower-case.
func scanIndex(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if scanHasAt(s, i, sub) {
			return i
		}
	}
	return -1
}

func scanHasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if scanLetter(s[i]) {
			return true
		}
	}
	return false
}

func scanLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func scanLetter(c byte) bool   { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func scanDigit(c byte) bool    { return '0' <= c && c <= '9' }
func scanWordByte(c byte) bool { return scanLetter(c) || scanDigit(c) || c == '_' }
func scanSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
