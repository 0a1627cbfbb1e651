package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Article is a public knowledge-base article, kept in plaintext so FTS5 can
// index it. Body is Markdown.
type Article struct {
	ID        int64
	Slug      string
	Title     string
	Body      string
	Published bool
	// Lang is the article's language (see Languages); "" is the site's
	// language (KBLanguage). Saved, "" keeps the language the article has
	// (a client that does not know about languages must not reset it), and
	// SiteLanguage makes it the site's again.
	Lang string
	// CategoryID is the article's category (Category), 0 for none. Saved,
	// 0 keeps the category the article has and NoCategory takes it out.
	CategoryID int64
	// CategoryName is the category a Markdown file names in its front
	// matter, for ImportArticles, which creates missing categories.
	CategoryName string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Languages are the languages an article may be written in, by code: the
// assistant stems them and speaks them.
var Languages = []string{"en", "de", "fr", "es", "nl"}

// SiteLanguage, as an Article's Lang when it is saved, makes the article's
// language the site's (KBLanguage) again.
const SiteLanguage = "site"

// ValidLanguage reports whether code is one of Languages.
func ValidLanguage(code string) bool {
	for _, l := range Languages {
		if l == code {
			return true
		}
	}
	return false
}

// settingKBLanguage is the setting that holds the site's language.
const settingKBLanguage = "kb_language"

// KBLanguage is the site's language: the language of every article whose
// own Lang is empty. English unless set.
func (db *DB) KBLanguage(ctx context.Context) (string, error) {
	if l := db.siteLang.Load(); l != nil { // every portal request without a usable Accept-Language asks
		return *l, nil
	}
	l, err := db.GetSetting(ctx, settingKBLanguage, "en")
	if err != nil {
		return "en", err
	}
	if !ValidLanguage(l) {
		l = "en"
	}
	db.siteLang.Store(&l)
	return l, nil
}

// SetKBLanguage changes the site's language, audited.
func (db *DB) SetKBLanguage(ctx context.Context, code string, a Actor) error {
	if !ValidLanguage(code) {
		var v ValidationError
		v.add("lang", "Choose one of the languages offered.")
		return v.err()
	}
	defer db.articlesChanged()
	if err := db.SetSetting(ctx, settingKBLanguage, code, a); err != nil {
		return err
	}
	db.siteLang.Store(&code)
	return nil
}

var slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// checkSlug checks a slug: an article's or a category's address.
func checkSlug(v *ValidationError, slug string) {
	switch {
	case slug == "":
		v.add("slug", "Enter a slug.")
	case len(slug) > 80 || !slugRe.MatchString(slug):
		v.add("slug", "Use lowercase letters, digits and single hyphens (at most 80).")
	}
}

// Validate checks slug, title and body.
func (a Article) Validate() error {
	var v ValidationError
	checkSlug(&v, a.Slug)
	checkText(&v, "title", a.Title, 200, true, "a title")
	checkText(&v, "body", a.Body, 100000, true, "the article text")
	checkText(&v, "category", a.CategoryName, 80, false, "a category")
	if a.Lang != "" && a.Lang != SiteLanguage && !ValidLanguage(a.Lang) {
		v.add("lang", "Choose one of the languages offered.")
	}
	return v.err()
}

//go:embed demo/*.md demo/categories.txt
var demoFS embed.FS

// DemoArticles is the sample knowledge base that --demo loads.
func DemoArticles() fs.FS {
	sub, _ := fs.Sub(demoFS, "demo")
	return sub
}

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

// ImportArticles imports every *.md file of fsys, creating or updating
// articles by slug, all in one transaction. It returns how many were created

// CheckArticleFolder refuses what ImportArticles cannot read from a folder
// on disk: a missing folder, a file, a folder without articles. Each error
// is one line that says what to give instead.
func CheckArticleFolder(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("there is no folder %s", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is a file; give the folder that holds the articles (one NAME.md each)", dir)
	}
	if names, err := filepath.Glob(filepath.Join(dir, "*.md")); err != nil || len(names) == 0 {
		return fmt.Errorf("%s holds no .md files; each article is one Markdown file named like shipping-times.md", dir)
	}
	return nil
}

// and updated.
func (db *DB) ImportArticles(ctx context.Context, fsys fs.FS, a Actor) (created, updated int, err error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return 0, 0, fmt.Errorf("store: import: %w", err)
	}
	var arts []Article
	var examples [][]SectionExample
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return 0, 0, fmt.Errorf("store: import: %w", err)
		}
		art, exs, err := parseArticle(n, b)
		if err != nil {
			return 0, 0, err
		}
		arts = append(arts, art)
		examples = append(examples, exs)
	}
	order, descs, err := readCategories(fsys)
	if err != nil {
		return 0, 0, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.importCategories(ctx, tx, arts, descs, order); err != nil {
			return err
		}
		added := 0
		for i, art := range arts {
			isNew, edited, err := db.upsertArticle(ctx, tx, art)
			if err != nil {
				return err
			}
			switch {
			case isNew:
				created++
			case edited:
				updated++
			}
			n, err := db.importExamples(ctx, tx, art.Slug, examples[i])
			if err != nil {
				return fmt.Errorf("store: %s.md: %w", art.Slug, err)
			}
			added += n
		}
		details := map[string]any{"created": created, "updated": updated}
		if added > 0 {
			details["examples"] = added
		}
		return db.appendAudit(ctx, tx, a, "kb.imported", "kb", details)
	})
	if err != nil {
		return 0, 0, err
	}
	db.articlesChanged()
	if created+updated > 0 {
		// A bulk import leaves the FTS5 index in many small segments, which
		// makes every later search slower; merge them once now.
		if _, err := db.write.ExecContext(ctx, "INSERT INTO kb_fts(kb_fts) VALUES ('optimize')"); err != nil {
			return created, updated, fmt.Errorf("store: optimize search index: %w", err)
		}
	}
	return created, updated, nil
}

// readCategories reads the optional categories.txt of an article folder:
// one category a line, "Name: short description", in the order the home
// page shows them.
func readCategories(fsys fs.FS) (order []string, descs map[string]string, err error) {
	b, err := fs.ReadFile(fsys, "categories.txt")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: import: %w", err)
	}
	descs = map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		name, desc, _ := strings.Cut(line, ":")
		if name = strings.TrimSpace(name); name != "" && !strings.HasPrefix(name, "#") {
			order = append(order, name)
			descs[name] = strings.TrimSpace(desc)
		}
	}
	return order, descs, nil
}

// upsertArticle creates the article or updates the one with its slug. It
// reports whether the article is new, and whether anything changed at all: an
// identical article is left alone, updated_at included.
func (db *DB) upsertArticle(ctx context.Context, tx *sql.Tx, art Article) (isNew, updated bool, err error) {
	now := nanos(db.now())
	// An empty Lang keeps the stored language: a client that does not know
	// about languages (the API) must not reset it. SiteLanguage stores ''.
	// Likewise a CategoryID of 0 keeps the category; NoCategory clears it.
	n, err := changed(tx.ExecContext(ctx, `UPDATE kb_articles SET title = ?1, body = ?2, published = ?3,
			lang = CASE ?5 WHEN '' THEN lang WHEN ?7 THEN '' ELSE ?5 END,
			category_id = CASE WHEN ?8 = 0 THEN category_id WHEN ?8 < 0 THEN NULL ELSE ?8 END, updated_at = ?4
		WHERE slug = ?6 AND (title != ?1 OR body != ?2 OR published != ?3
			OR (?5 = ?7 AND lang != '') OR (?5 NOT IN ('', ?7) AND lang != ?5)
			OR (?8 > 0 AND category_id IS NOT ?8) OR (?8 < 0 AND category_id IS NOT NULL))`,
		art.Title, art.Body, art.Published, now, art.Lang, art.Slug, SiteLanguage, art.CategoryID))
	if err != nil {
		return false, false, articleSaveError(err)
	}
	if n > 0 {
		return false, true, reanchorExamples(ctx, tx, art.Slug, art.Body)
	}
	lang := art.Lang
	if lang == SiteLanguage {
		lang = ""
	}
	var category any // NULL
	if art.CategoryID > 0 {
		category = art.CategoryID
	}
	n, err = changed(tx.ExecContext(ctx, `INSERT INTO kb_articles (slug, title, body, published, lang, category_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING`, art.Slug, art.Title, art.Body, art.Published, lang, category, now, now))
	if err != nil {
		return false, false, articleSaveError(err)
	}
	return n > 0, n > 0, nil
}

// articleSaveError names a category that does not exist as the field's
// error, and wraps anything else.
func articleSaveError(err error) error {
	if violates(err, foreignKeyViolation) {
		var v ValidationError
		v.add("category", "Choose one of the categories offered.")
		return &v
	}
	return fmt.Errorf("store: save article: %w", err)
}

// SaveArticle creates or updates an article by slug, with its audit entry.
func (db *DB) SaveArticle(ctx context.Context, art Article, a Actor) error {
	if err := art.Validate(); err != nil {
		return err
	}
	defer db.articlesChanged()
	return db.tx(ctx, func(tx *sql.Tx) error {
		isNew, _, err := db.upsertArticle(ctx, tx, art)
		if err != nil {
			return err
		}
		action := "kb.updated"
		if isNew {
			action = "kb.created"
		}
		return db.appendAudit(ctx, tx, a, action, "kb:"+art.Slug, nil)
	})
}

// DeleteArticle removes an article.
func (db *DB) DeleteArticle(ctx context.Context, slug string, a Actor) error {
	defer db.articlesChanged()
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, "DELETE FROM kb_articles WHERE slug = ?", slug))
		if err != nil {
			return fmt.Errorf("store: delete article: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return db.appendAudit(ctx, tx, a, "kb.deleted", "kb:"+slug, nil)
	})
}

// GetArticle returns an article by slug; unpublished ones only when
// withDrafts is set.
func (db *DB) GetArticle(ctx context.Context, slug string, withDrafts bool) (Article, error) {
	var art Article
	var created, updated int64
	err := db.stmts.getArticle.QueryRowContext(ctx, slug).Scan(&art.ID, &art.Slug, &art.Title, &art.Body, &art.Published, &art.Lang, &art.CategoryID, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !art.Published && !withDrafts) {
		return Article{}, ErrNotFound
	}
	if err != nil {
		return Article{}, fmt.Errorf("store: get article: %w", err)
	}
	art.CreatedAt, art.UpdatedAt = fromNanos(created), fromNanos(updated)
	return art, nil
}

// ListArticles returns articles by title; drafts only when withDrafts is set.
func (db *DB) ListArticles(ctx context.Context, withDrafts bool) ([]Article, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, slug, title, body, published, lang, COALESCE(category_id, 0), created_at, updated_at
		FROM kb_articles WHERE published = 1 OR ? ORDER BY title COLLATE NOCASE`, withDrafts)
	if err != nil {
		return nil, fmt.Errorf("store: list articles: %w", err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		var art Article
		var created, updated int64
		if err := rows.Scan(&art.ID, &art.Slug, &art.Title, &art.Body, &art.Published, &art.Lang, &art.CategoryID, &created, &updated); err != nil {
			return nil, fmt.Errorf("store: list articles: %w", err)
		}
		art.CreatedAt, art.UpdatedAt = fromNanos(created), fromNanos(updated)
		out = append(out, art)
	}
	return out, rows.Err()
}
