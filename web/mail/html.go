package mail

import (
	"strings"

	"golang.org/x/net/html"
)

// HTMLToText turns the HTML of a message into plain text: the words as a
// reader sees them, line breaks where blocks end, list items as "- ", a
// link's address after its words when they differ. Scripts, styles and
// everything in the head are dropped; nothing of the markup survives, so
// the result is safe to show as text anywhere.
func HTMLToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // inside script, style, head, title…
	var href []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip == 0 {
				writeText(&b, string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if skippedTags[tag] {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			switch {
			case tag == "br":
				b.WriteString("\n")
			case tag == "li":
				b.WriteString("\n- ")
			case tag == "a":
				href = append(href, linkTarget(z, hasAttr))
			case tag == "img":
				if alt := attr(z, hasAttr, "alt"); alt != "" {
					b.WriteString("[" + alt + "]")
				}
			case blockTags[tag]:
				b.WriteString("\n\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch {
			case skippedTags[tag]:
				if skip > 0 {
					skip--
				}
			case tag == "a" && len(href) > 0:
				if h := href[len(href)-1]; h != "" && !strings.Contains(lastLine(b.String()), h) {
					b.WriteString(" <" + h + ">")
				}
				href = href[:len(href)-1]
			case blockTags[tag] || tag == "tr":
				b.WriteString("\n")
			case tag == "td" || tag == "th":
				b.WriteString(" ")
			}
		}
	}
}

// skippedTags hold no text a reader sees.
var skippedTags = map[string]bool{"script": true, "style": true, "head": true, "title": true, "template": true, "noscript": true, "svg": true, "object": true, "iframe": true}

// blockTags end a line.
var blockTags = map[string]bool{"p": true, "div": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "table": true, "blockquote": true, "pre": true, "hr": true, "section": true, "article": true,
	"header": true, "footer": true, "address": true}

// linkTarget is an http(s) or mailto link's address, "" for anything else
// (javascript: and friends are dropped, not shown).
func linkTarget(z *html.Tokenizer, hasAttr bool) string {
	h := strings.TrimSpace(attr(z, hasAttr, "href"))
	lower := strings.ToLower(h)
	if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		return h
	}
	if addr, ok := strings.CutPrefix(h, "mailto:"); ok {
		return addr
	}
	return ""
}

func attr(z *html.Tokenizer, hasAttr bool, want string) string {
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		if string(k) == want {
			return string(v)
		}
	}
	return ""
}

// writeText writes the words of t, keeping one space where t had white
// space at either end.
func writeText(b *strings.Builder, t string) {
	words := strings.Fields(t)
	if len(words) == 0 {
		if t != "" && b.Len() > 0 && !endsInSpace(b.String()) {
			b.WriteByte(' ')
		}
		return
	}
	if isSpaceByte(t[0]) && b.Len() > 0 && !endsInSpace(b.String()) {
		b.WriteByte(' ')
	}
	b.WriteString(strings.Join(words, " "))
	if isSpaceByte(t[len(t)-1]) {
		b.WriteByte(' ')
	}
}

func endsInSpace(s string) bool { return s != "" && isSpaceByte(s[len(s)-1]) }

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i:]
	}
	return s
}

// tidyText trims every line and keeps at most one empty line in a row.
func tidyText(s string) string {
	var out []string
	empty := 0
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			empty++
			if empty > 1 || len(out) == 0 {
				continue
			}
		} else {
			empty = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
