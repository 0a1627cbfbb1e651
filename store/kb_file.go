package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Article files, as safedesk kb import reads them: NAME.md, an optional
// front matter block, a "# " title heading, the body.

// ParseArticle reads a Markdown file: the file name is the slug, the first
// "# " heading the title, the rest the body. The file may start with a
// front matter block that names its language, its category and example
// questions for its sections (see parseArticle):
//
//	---
//	lang: de
//	category: Orders and shipping
//	example ways-to-reach-us: is there a number I can call?
//	---
func ParseArticle(name string, content []byte) (Article, error) {
	a, _, err := parseArticle(name, content)
	return a, err
}

// parseArticle is ParseArticle that also returns the example questions of
// the front matter, checked (see parseExamples).
func parseArticle(name string, content []byte) (Article, []SectionExample, error) {
	slug := strings.TrimSuffix(path.Base(name), path.Ext(name))
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	a := Article{Slug: slug, Published: true}
	var examples []string
	text, a.Lang, a.CategoryName, examples = frontMatter(text)
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if t, ok := strings.CutPrefix(line, "# "); ok {
			a.Title = strings.TrimSpace(t)
			a.Body = strings.TrimSpace(strings.Join(append(append([]string{}, lines[:i]...), lines[i+1:]...), "\n"))
			break
		}
	}
	if a.Title == "" {
		return Article{}, nil, fmt.Errorf("store: %s: no \"# \" title heading", name)
	}
	if err := a.Validate(); err != nil {
		var verr *ValidationError
		if errors.As(err, &verr) && verr.Fields["slug"] != "" {
			return Article{}, nil, fmt.Errorf("store: %s: the file name is the article's slug, its address /kb/NAME: "+
				"use lowercase letters, digits and single hyphens, at most 80, like shipping-times.md", name)
		}
		return Article{}, nil, fmt.Errorf("store: %s: %w", name, err)
	}
	exs, err := parseExamples(a.Body, examples)
	if err != nil {
		return Article{}, nil, fmt.Errorf("store: %s: %w", name, err)
	}
	return a, exs, nil
}

// frontMatter splits a leading "---" block off text and returns the rest,
// the block's lang and category values, and its example lines (what
// follows "example" up to the end of the line).
func frontMatter(text string) (rest, lang, category string, examples []string) {
	body, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return text, "", "", nil
	}
	block, rest, ok := strings.Cut(body, "\n---\n")
	if !ok {
		return text, "", "", nil
	}
	for _, line := range strings.Split(block, "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch k = strings.TrimSpace(k); {
		case k == "lang":
			lang = strings.TrimSpace(v)
		case k == "category":
			category = strings.TrimSpace(v)
		case k == "example" || strings.HasPrefix(k, "example "):
			examples = append(examples, strings.TrimPrefix(strings.TrimSpace(line), "example"))
		}
	}
	return rest, lang, category, examples
}

// readArticleFiles parses every *.md file of fsys, with the example
// questions of each (examples[i] are arts[i]'s).
func readArticleFiles(fsys fs.FS) (arts []Article, examples [][]SectionExample, err error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, nil, fmt.Errorf("store: import: %w", err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, nil, fmt.Errorf("store: import: %w", err)
		}
		art, exs, err := parseArticle(n, b)
		if err != nil {
			return nil, nil, err
		}
		arts = append(arts, art)
		examples = append(examples, exs)
	}
	return arts, examples, nil
}
