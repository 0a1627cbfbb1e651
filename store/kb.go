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
	CreatedAt time.Time
	UpdatedAt time.Time
}

var slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate checks slug, title and body.
func (a Article) Validate() error {
	var v ValidationError
	switch {
	case a.Slug == "":
		v.add("slug", "Enter a slug.")
	case len(a.Slug) > 80 || !slugRe.MatchString(a.Slug):
		v.add("slug", "Use lowercase letters, digits and single hyphens (at most 80).")
	}
	checkText(&v, "title", a.Title, 200, true, "a title")
	checkText(&v, "body", a.Body, 100000, true, "the article text")
	return v.err()
}

//go:embed demo/*.md
var demoFS embed.FS

// DemoArticles is the sample knowledge base that --demo loads.
func DemoArticles() fs.FS {
	sub, _ := fs.Sub(demoFS, "demo")
	return sub
}

// ParseArticle reads a Markdown file: the file name is the slug, the first
// "# " heading the title, the rest the body.
func ParseArticle(name string, content []byte) (Article, error) {
	slug := strings.TrimSuffix(path.Base(name), path.Ext(name))
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	a := Article{Slug: slug, Published: true}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if t, ok := strings.CutPrefix(line, "# "); ok {
			a.Title = strings.TrimSpace(t)
			a.Body = strings.TrimSpace(strings.Join(append(append([]string{}, lines[:i]...), lines[i+1:]...), "\n"))
			break
		}
	}
	if a.Title == "" {
		return Article{}, fmt.Errorf("store: %s: no \"# \" title heading", name)
	}
	if err := a.Validate(); err != nil {
		var verr *ValidationError
		if errors.As(err, &verr) && verr.Fields["slug"] != "" {
			return Article{}, fmt.Errorf("store: %s: the file name is the article's slug, its address /kb/NAME: "+
				"use lowercase letters, digits and single hyphens, at most 80, like shipping-times.md", name)
		}
		return Article{}, fmt.Errorf("store: %s: %w", name, err)
	}
	return a, nil
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
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return 0, 0, fmt.Errorf("store: import: %w", err)
		}
		art, err := ParseArticle(n, b)
		if err != nil {
			return 0, 0, err
		}
		arts = append(arts, art)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		for _, art := range arts {
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
		}
		return db.appendAudit(ctx, tx, a, "kb.imported", "kb", map[string]any{"created": created, "updated": updated})
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

// upsertArticle creates the article or updates the one with its slug. It
// reports whether the article is new, and whether anything changed at all: an
// identical article is left alone, updated_at included.
func (db *DB) upsertArticle(ctx context.Context, tx *sql.Tx, art Article) (isNew, updated bool, err error) {
	now := nanos(db.now())
	n, err := changed(tx.ExecContext(ctx, `UPDATE kb_articles SET title = ?, body = ?, published = ?, updated_at = ?
		WHERE slug = ? AND (title != ? OR body != ? OR published != ?)`,
		art.Title, art.Body, art.Published, now, art.Slug, art.Title, art.Body, art.Published))
	if err != nil {
		return false, false, fmt.Errorf("store: save article: %w", err)
	}
	if n > 0 {
		return false, true, nil
	}
	n, err = changed(tx.ExecContext(ctx, `INSERT INTO kb_articles (slug, title, body, published, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING`, art.Slug, art.Title, art.Body, art.Published, now, now))
	if err != nil {
		return false, false, fmt.Errorf("store: save article: %w", err)
	}
	return n > 0, n > 0, nil
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
	err := db.stmts.getArticle.QueryRowContext(ctx, slug).Scan(&art.ID, &art.Slug, &art.Title, &art.Body, &art.Published, &created, &updated)
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
	rows, err := db.read.QueryContext(ctx, `SELECT id, slug, title, body, published, created_at, updated_at
		FROM kb_articles WHERE published = 1 OR ? ORDER BY title COLLATE NOCASE`, withDrafts)
	if err != nil {
		return nil, fmt.Errorf("store: list articles: %w", err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		var art Article
		var created, updated int64
		if err := rows.Scan(&art.ID, &art.Slug, &art.Title, &art.Body, &art.Published, &created, &updated); err != nil {
			return nil, fmt.Errorf("store: list articles: %w", err)
		}
		art.CreatedAt, art.UpdatedAt = fromNanos(created), fromNanos(updated)
		out = append(out, art)
	}
	return out, rows.Err()
}
