package security

import "strings"

// ScanPayload reports whether s, a decoded query-string or form value,
// carries an injection attempt: SQL (' or 1=1, union select, sleep(5),
// '; drop table), script (<script, javascript:alert(1), onerror=),
// template ({{7*7}}, ${…}, #{…}, <%= %>) or shell command (;cat /etc/passwd,
// $(id), `whoami`). sig names what matched.
//
// Each rule looks for the shape of an attack rather than a keyword, so that
// what customers write ("I can't log in -- please help", "select a size",
// "my order (1=1?)") passes. Code pasted into a ticket may still match; the
// guard weighs a payload lightly for that reason. It reads s once, starting
// a rule only at a word start or a punctuation mark, and does not allocate.
func ScanPayload(s string) (sig string, ok bool) {
	for i := 0; i < len(s); i++ {
		switch scanClass[s[i]] {
		case classStart:
			if i > 0 && scanClass[s[i-1]] >= classWord {
				continue
			}
			sig, ok = scanWord(s, i)
		case classSymbol:
			sig, ok = scanSymbol(s, i)
		default:
			continue
		}
		if ok {
			return sig, true
		}
	}
	return "", false
}

// The byte classes of ScanPayload: most bytes start no rule and are passed
// over with one table lookup.
const (
	classNone   = iota // white space, most punctuation, non-ASCII
	classSymbol        // punctuation that starts a rule
	classWord          // a word byte that starts no rule
	classStart         // a letter that may start a rule at a word start
)

var scanClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case scanLetter(byte(c)) && strings.IndexByte("aoxusbwpilecfjvd", scanLower(byte(c))) >= 0:
			t[c] = classStart
		case scanWordByte(byte(c)):
			t[c] = classWord
		case strings.IndexByte("\x00'\"<{$#;|&`/\\.%@", byte(c)) >= 0:
			t[c] = classSymbol
		}
	}
	return t
}()

// scanWord runs the rules for a word starting at s[i].
func scanWord(s string, i int) (string, bool) {
	switch scanLower(s[i]) {
	case 'a':
		if scanWordAt(s, i, "and") {
			return scanTautology(s, i, 3)
		}
		return scanProbeCall(s, i, "alert")
	case 'o':
		if scanWordAt(s, i, "or") {
			return scanTautology(s, i, 2)
		}
		return scanHandler(s, i)
	case 'x':
		if scanWordAt(s, i, "xor") {
			return scanTautology(s, i, 3)
		}
		return scanSQLWord(s, i)
	case 'u':
		if sig, ok := scanUnion(s, i); ok {
			return sig, ok
		}
		return scanFuncCall(s, i, "updatexml")
	case 's':
		return scanDelayCall(s, i, "sleep")
	case 'b':
		return scanDelayCall(s, i, "benchmark")
	case 'p':
		if sig, ok := scanDelayCall(s, i, "pg_sleep"); ok {
			return sig, ok
		}
		return scanProbeCall(s, i, "prompt")
	case 'w', 'i':
		return scanSQLWord(s, i)
	case 'l':
		return scanFuncCall(s, i, "load_file")
	case 'e':
		if sig, ok := scanFuncCall(s, i, "extractvalue"); ok {
			return sig, ok
		}
		if m, ok := scanCallAt(s, i, "eval"); ok &&
			(scanHasAt(s, m, "atob") || scanHasAt(s, m, "string.") || scanHasAt(s, m, "unescape") ||
				(m < len(s) && (s[m] == '\'' || s[m] == '"' || s[m] == '`'))) {
			return "xss: eval", true
		}
	case 'c':
		if scanWordAt(s, i, "cmd.exe") {
			return "command: windows shell", true
		}
		return scanProbeCall(s, i, "confirm")
	case 'f':
		if _, ok := scanCallAt(s, i, "fromcharcode"); ok {
			return "xss: obfuscation", true
		}
	case 'j':
		return scanScheme(s, i, "javascript")
	case 'v':
		return scanScheme(s, i, "vbscript")
	case 'd':
		if scanHasAt(s, i, "data:") {
			for _, t := range [...]string{"text/html", "image/svg+xml", "application/x-"} {
				if scanHasAt(s, i+5, t) {
					return "xss: data url", true
				}
			}
		}
		if scanHasAt(s, i, "document.") {
			for _, p := range [...]string{"cookie", "domain", "write", "location"} {
				if scanHasAt(s, i+9, p) {
					return "xss: dom access", true
				}
			}
		}
	}
	return "", false
}

// scanSymbol runs the rules for a punctuation mark at s[i].
func scanSymbol(s string, i int) (string, bool) {
	switch s[i] {
	case 0:
		return "payload: nul byte", true
	case '\'', '"':
		return scanQuote(s, i)
	case '<':
		return scanAngle(s, i)
	case '{':
		if scanHasAt(s, i+1, "{") && scanClosed(s, i+2, "}}") {
			return "template: {{ }}", true
		}
		if scanHasAt(s, i+1, "%") && scanClosed(s, i+2, "%}") {
			return "template: {% %}", true
		}
	case '$':
		if scanHasAt(s, i+1, "(") {
			return scanCommand(s, i)
		}
		if scanHasAt(s, i+1, "{") {
			for _, p := range [...]string{"jndi:", "env:", "sys:", "lower:", "upper:", "::-"} {
				if scanHasAt(s, i+2, p) {
					return "template: log4shell lookup", true
				}
			}
			if scanClosed(s, i+2, "}") {
				return "template: ${ }", true
			}
		}
	case '#':
		if scanHasAt(s, i+1, "{") && scanClosed(s, i+2, "}") {
			return "template: #{ }", true
		}
	case ';':
		if sig, ok := scanSemicolon(s, i); ok {
			return sig, ok
		}
		return scanCommand(s, i)
	case '|', '&', '`':
		return scanCommand(s, i)
	case '/', '\\':
		for _, f := range scanFiles {
			if scanHasAt(s, i+1, f) && (i+1+len(f) == len(s) || !scanLetter(s[i+1+len(f)])) {
				return "command: sensitive file", true
			}
		}
	case '.':
		if scanHasAt(s, i, "../../") || scanHasAt(s, i, `..\..\`) || scanHasAt(s, i, "..%2f") {
			return "traversal: dot-dot", true
		}
	case '%':
		switch {
		case scanHasAt(s, i, "%00"):
			return "encoding: nul byte", true
		case scanHasAt(s, i, "%2e%2e"):
			return "traversal: encoded dot-dot", true
		case scanHasAt(s, i, "%3cscript"), scanHasAt(s, i, "%3csvg"), scanHasAt(s, i, "%3cimg"), scanHasAt(s, i, "%3ciframe"):
			return "xss: encoded tag", true
		case scanHasAt(s, i, "%27"), scanHasAt(s, i, "%22"), scanHasAt(s, i, "%3c"), scanHasAt(s, i, "%3e"),
			scanHasAt(s, i, "%25") && i+4 < len(s) && scanHex(s[i+3]) && scanHex(s[i+4]):
			// A value still holding an encoded quote or bracket after
			// decoding was encoded twice to slip past a filter.
			return "encoding: double encoded", true
		}
	case '@':
		if scanHasAt(s, i, "@@version") || scanHasAt(s, i, "@@datadir") || scanHasAt(s, i, "@@hostname") {
			return "sql: system variable", true
		}
	}
	return "", false
}

func scanHex(c byte) bool { return scanDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') }

// scanClosed reports whether closer follows s[from:] within a short
// distance with something other than white space before it.
func scanClosed(s string, from int, closer string) bool {
	if from > len(s) {
		return false
	}
	w := s[from:min(len(s), from+200)]
	c := strings.Index(w, closer)
	return c >= 0 && strings.TrimSpace(w[:c]) != ""
}

// scanAngle checks markup opened at s[i] == '<'.
func scanAngle(s string, i int) (string, bool) {
	switch {
	case scanHasAt(s, i, "<%="):
		return "template: <%= %>", true
	case scanHasAt(s, i, "<%") && scanClosed(s, i+2, "%>"):
		return "template: <% %>", true
	case scanHasAt(s, i, "<?php"), scanHasAt(s, i, "<?="):
		return "payload: php tag", true
	}
	j := i + 1
	if j < len(s) && s[j] == '/' {
		j++
	}
	e := j
	for e < len(s) && e-j < 9 && scanLetter(s[e]) {
		e++
	}
	if e == j || (e < len(s) && !strings.ContainsRune(" \t\n\r\f/>", rune(s[e]))) {
		return "", false
	}
	if _, ok := probeLookup(scanTags, s[j:e]); ok {
		return "xss: script tag", true
	}
	return "", false
}

// scanHandler checks an inline event handler such as onerror= at s[i:].
func scanHandler(s string, i int) (string, bool) {
	if !scanHasAt(s, i, "on") {
		return "", false
	}
	e := i + 2
	for e < len(s) && e-i < 24 && scanLetter(s[e]) {
		e++
	}
	m := scanSkipSpace(s, e)
	if e-i < 5 || m == len(s) || s[m] != '=' {
		return "", false
	}
	if _, ok := probeLookup(scanHandlers, s[i:e]); ok {
		return "xss: event handler", true
	}
	return "", false
}

// scanProbeCall checks alert(1), prompt`1`, confirm(document.domain): the
// calls that prove script ran, with the arguments scanners use.
func scanProbeCall(s string, i int, name string) (string, bool) {
	if !scanWordAt(s, i, name) {
		return "", false
	}
	m := scanSkipSpace(s, i+len(name))
	if m < len(s) && s[m] == '`' {
		return "xss: probe call", true
	}
	if m >= len(s) || s[m] != '(' {
		return "", false
	}
	m = scanSkipSpace(s, m+1)
	if m == len(s) || scanDigit(s[m]) || strings.IndexByte(`'"/)`+"`", s[m]) >= 0 ||
		scanHasAt(s, m, "document") || scanHasAt(s, m, "window") {
		return "xss: probe call", true
	}
	return "", false
}

// scanScheme checks a javascript: or vbscript: URL. Browsers ignore tabs and
// line breaks inside the scheme, so those are skipped. The URL must be code
// (a call, an escape, a comment): "javascript: is it required?" passes.
func scanScheme(s string, i int, scheme string) (string, bool) {
	e := i
	for j := 0; j < len(scheme); j++ {
		for e < len(s) && (s[e] == '\t' || s[e] == '\n' || s[e] == '\r') {
			e++
		}
		if e == len(s) || scanLower(s[e]) != scheme[j] {
			return "", false
		}
		e++
	}
	switch {
	case scanHasAt(s, e, ":"):
		e++
	case scanHasAt(s, e, "&colon;"):
		e += 7
	default:
		return "", false
	}
	e = scanSkipSpace(s, e)
	end := e
	for end < len(s) && end-e < 64 && !scanSpace(s[end]) {
		end++
	}
	if !strings.ContainsAny(s[e:end], "(`/%\\=;&") {
		return "", false
	}
	if scheme == "vbscript" {
		return "xss: vbscript url", true
	}
	return "xss: javascript url", true
}

var (
	// scanFiles follow a '/' or '\': files only an attack asks for.
	scanFiles = [...]string{"etc/passwd", "etc/shadow", "bin/sh", "bin/bash", "dev/tcp/", "dev/udp/",
		"proc/self/", "windows/win.ini", "windows/system32", `windows\win.ini`, `windows\system32`}

	// scanTags open script or embed other documents.
	scanTags = map[string]bool{"script": true, "iframe": true, "frame": true, "frameset": true,
		"object": true, "embed": true, "applet": true, "base": true, "meta": true}

	// scanHandlers are the inline event handlers seen in XSS payloads.
	scanHandlers = scanSet(`onerror onload onclick ondblclick onauxclick oncontextmenu
		onmouseover onmouseenter onmouseout onmouseleave onmousedown onmouseup onmousemove
		onpointerover onpointerenter onpointerdown onpointerup onpointermove onfocus onfocusin
		onfocusout onblur oninput onchange onsubmit onreset onselect onkeydown onkeyup onkeypress
		onwheel onscroll onresize onpageshow onpagehide onhashchange onpopstate onmessage onunload
		onbeforeunload onafterprint onbeforeprint onanimationstart onanimationend
		onanimationiteration ontransitionend ontransitionstart ontransitionrun ontoggle onbegin
		onend onrepeat onstart onfinish ondrag ondragstart ondragend ondragenter ondragover
		ondrop oncopy oncut onpaste onplay onplaying onpause onended onloadstart onloadeddata
		oncanplay ontimeupdate onvolumechange onsearch oninvalid onshow onformdata`)
)

// scanSet makes a set of the space-separated words in list.
func scanSet(list string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(list) {
		m[w] = true
	}
	return m
}
