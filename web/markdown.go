package web

import (
	"bytes"
	"html"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"

	"safedesk/store"
)

// markdown renders article Markdown to HTML that is safe to embed: raw HTML in
// the source is shown as text (escaped), never passed through, and goldmark
// drops dangerous link targets such as javascript: URLs.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
	goldmark.WithRendererOptions(
		gmhtml.WithXHTML(),
		renderer.WithNodeRenderers(util.Prioritized(escapeRawHTML{}, 100)),
	),
)

// escapeRawHTML renders raw HTML nodes as escaped text.
type escapeRawHTML struct{}

func (escapeRawHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		w.WriteString("<p>")
		lines := b.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			w.WriteString(html.EscapeString(string(seg.Value(src))))
		}
		if b.HasClosure() {
			w.WriteString(html.EscapeString(string(b.ClosureLine.Value(src))))
		}
		w.WriteString("</p>\n")
		return ast.WalkContinue, nil
	})
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkSkipChildren, nil
		}
		segs := n.(*ast.RawHTML).Segments
		for i := 0; i < segs.Len(); i++ {
			seg := segs.At(i)
			w.WriteString(html.EscapeString(string(seg.Value(src))))
		}
		return ast.WalkSkipChildren, nil
	})
}

// RenderMarkdown renders article Markdown to safe HTML. Each heading gets
// the id of its section (store.Sections), which the search and the
// assistant link to as /kb/{slug}#{id}.
func RenderMarkdown(src string) (string, error) {
	b := []byte(src)
	doc := store.ParseMarkdown(b)
	for h, id := range store.HeadingAnchors(doc, b) {
		h.SetAttributeString("id", []byte(id))
	}
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, b, doc); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// kbCache keeps rendered article pages for visitors without a session. An
// entry is keyed by slug and the language of the page around the article
// (the visitor's), and stamped with the article's updated_at, so an edit
// (even from another process, such as `safedesk kb import`) misses the
// cache. It holds nothing of any visitor: only the language they chose.
type kbCache struct {
	mu      sync.RWMutex
	entries map[string]kbEntry
}

type kbEntry struct {
	updated int64
	page    []byte
}

func (c *kbCache) get(slug, lang string, updated int64) ([]byte, bool) {
	c.mu.RLock()
	e, ok := c.entries[lang+"/"+slug]
	c.mu.RUnlock()
	if !ok || e.updated != updated {
		return nil, false
	}
	return e.page, true
}

func (c *kbCache) put(slug, lang string, updated int64, page []byte) {
	c.mu.Lock()
	if c.entries == nil || len(c.entries) > 5000 {
		c.entries = map[string]kbEntry{}
	}
	c.entries[lang+"/"+slug] = kbEntry{updated: updated, page: page}
	c.mu.Unlock()
}

func (c *kbCache) clear() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}
