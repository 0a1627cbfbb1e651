package store

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"safedesk/security"
)

// Section is one part of an article: the text under one heading, or before
// the first one. The help-centre search and the assistant find sections,
// and link to them as /kb/{slug}#{Anchor}.
type Section struct {
	// Anchor is the id of the section's heading on the article page; ""
	// for the text before the first heading (the top of the page).
	Anchor  string
	Heading string // plain text; "" before the first heading
	// Blocks are the section's paragraphs, list items, table rows and code
	// lines as plain text: no Markdown syntax. An item of an ordered list
	// starts with its number ("2. Add…").
	Blocks []string
}

// Text is the section's plain text, its blocks one per line.
func (s Section) Text() string { return strings.Join(s.Blocks, "\n") }

// URL is the section's address in the portal.
func (s Section) URL(slug string) string {
	if s.Anchor == "" {
		return "/kb/" + slug
	}
	return "/kb/" + slug + "#" + s.Anchor
}

// markdownParser parses article Markdown with the extensions the article
// page renders with (web/markdown.go), so both agree on what is a heading.
var markdownParser = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify)).Parser()

// ParseMarkdown parses article Markdown with the portal's extensions; web
// renders the tree it returns, after HeadingAnchors has named its headings.
func ParseMarkdown(src []byte) ast.Node {
	return markdownParser.Parse(text.NewReader(src))
}

// Sections splits an article body into its sections, in order. Every
// heading, whatever its level, starts a section; a body that starts with a
// heading has no untitled first section.
func Sections(body string) []Section {
	src := []byte(body)
	doc := ParseMarkdown(src)
	var out []Section
	cur := Section{}
	anchors := anchorSet{}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok {
			if cur.Anchor != "" || len(cur.Blocks) > 0 {
				out = append(out, cur)
			}
			heading := inlineText(h, src)
			cur = Section{Heading: heading, Anchor: anchors.next(heading)}
			continue
		}
		cur.Blocks = appendBlocks(cur.Blocks, n, src)
	}
	if cur.Anchor != "" || len(cur.Blocks) > 0 {
		out = append(out, cur)
	}
	return out
}

// HeadingAnchors returns the anchor of each heading of a parsed body, in
// document order, the same ones Sections gives.
func HeadingAnchors(doc ast.Node, src []byte) map[*ast.Heading]string {
	out := map[*ast.Heading]string{}
	anchors := anchorSet{}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok {
			out[h] = anchors.next(inlineText(h, src))
		}
	}
	return out
}

// anchorSet hands out heading anchors, unique within one article.
type anchorSet map[string]bool

// next is the anchor for a heading: its words, lower case, accents
// removed, joined by hyphens ("Didn't get the email?" is
// "didnt-get-the-email"), with "-2", "-3"… when taken.
func (a anchorSet) next(heading string) string {
	var b strings.Builder
	dash := false
	for _, r := range heading {
		switch {
		case r == '\'' || r == '’':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(security.FoldAccent(r)))
		default:
			dash = true
		}
	}
	base := b.String()
	if base == "" {
		base = "section"
	}
	id := base
	for i := 2; a[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	a[id] = true
	return id
}

// appendBlocks adds the plain text of one block node to blocks: a
// paragraph is one block, each list item and table row one more.
func appendBlocks(blocks []string, n ast.Node, src []byte) []string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		if t := inlineText(n, src); t != "" {
			blocks = append(blocks, t)
		}
	case *ast.List:
		num := n.Start
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			var parts []string
			for c := item.FirstChild(); c != nil; c = c.NextSibling() {
				parts = appendBlocks(parts, c, src)
			}
			t := strings.Join(parts, " ")
			if n.IsOrdered() {
				t = strconv.Itoa(num) + ". " + t
				num++
			}
			if t != "" {
				blocks = append(blocks, t)
			}
		}
	case *ast.Blockquote:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			blocks = appendBlocks(blocks, c, src)
		}
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			if t := strings.TrimSpace(string(segValue(lines.At(i), src))); t != "" {
				blocks = append(blocks, t)
			}
		}
	case *extast.Table:
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for c := row.FirstChild(); c != nil; c = c.NextSibling() {
				if t := inlineText(c, src); t != "" {
					cells = append(cells, t)
				}
			}
			if len(cells) > 0 {
				blocks = append(blocks, strings.Join(cells, " · "))
			}
		}
	case *ast.HTMLBlock:
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			if t := strings.TrimSpace(string(segValue(lines.At(i), src))); t != "" {
				blocks = append(blocks, t)
			}
		}
	}
	return blocks
}

// inlineText is the plain text of a node's inline content: emphasis, code
// marks and link targets dropped, soft line breaks as spaces.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.AutoLink:
				b.Write(c.Label(src))
			case *ast.RawHTML:
				segs := c.Segments
				for i := 0; i < segs.Len(); i++ {
					seg := segs.At(i)
					b.Write(seg.Value(src))
				}
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func segValue(s text.Segment, src []byte) []byte { return s.Value(src) }
