package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Category groups knowledge-base articles on the portal's home page and
// has a page of its own (/kb/category/SLUG). Position orders the
// categories, lowest first.
type Category struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Position    int
	// Articles is how many published articles the category holds; set by
	// ListCategories.
	Articles  int
	UpdatedAt time.Time
}

// NoCategory, as an Article's CategoryID when it is saved, takes the article
// out of its category; 0 keeps the category it has (a client that does not
// know about categories, like the API, must not reset it).
const NoCategory int64 = -1

// Validate checks the slug, name and description.
func (c Category) Validate() error {
	var v ValidationError
	checkSlug(&v, c.Slug)
	checkText(&v, "name", c.Name, 80, true, "a name")
	checkText(&v, "description", c.Description, 300, false, "a description")
	if c.Position < 0 || c.Position > 10000 {
		v.add("position", "Use a number from 0 to 10000.")
	}
	return v.err()
}

// CategoryTarget is how the audit log names a category.
func CategoryTarget(id int64) string { return "kb_category:" + strconv.FormatInt(id, 10) }

// SaveCategory creates the category (ID 0) or updates it, audited; it
// returns the category's id. A slug another category has is a
// ValidationError on "slug".
func (db *DB) SaveCategory(ctx context.Context, c Category, a Actor) (int64, error) {
	c.Name, c.Description = strings.TrimSpace(c.Name), strings.TrimSpace(c.Description)
	if err := c.Validate(); err != nil {
		return 0, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		c.ID, err = db.putCategory(ctx, tx, c)
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "kb.category_saved", CategoryTarget(c.ID), map[string]any{"slug": c.Slug})
	})
	if err != nil {
		return 0, err
	}
	db.articlesChanged()
	return c.ID, nil
}

// putCategory inserts or updates c inside tx and returns its id.
func (db *DB) putCategory(ctx context.Context, tx *sql.Tx, c Category) (int64, error) {
	now := nanos(db.now())
	var err error
	if c.ID == 0 {
		c.ID, err = inserted(tx.ExecContext(ctx, `INSERT INTO kb_categories (slug, name, description, position, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, c.Slug, c.Name, c.Description, c.Position, now, now))
	} else {
		var n int64
		n, err = changed(tx.ExecContext(ctx, `UPDATE kb_categories SET slug = ?, name = ?, description = ?, position = ?, updated_at = ?
			WHERE id = ?`, c.Slug, c.Name, c.Description, c.Position, now, c.ID))
		if err == nil && n == 0 {
			return 0, ErrNotFound
		}
	}
	if violates(err, uniqueViolation) {
		var v ValidationError
		v.add("slug", "Another category already uses this slug.")
		return 0, &v
	}
	if err != nil {
		return 0, fmt.Errorf("store: save category: %w", err)
	}
	return c.ID, nil
}

// DeleteCategory removes a category; its articles keep existing without
// one.
func (db *DB) DeleteCategory(ctx context.Context, id int64, a Actor) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, "DELETE FROM kb_categories WHERE id = ?", id))
		if err != nil {
			return fmt.Errorf("store: delete category: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return db.appendAudit(ctx, tx, a, "kb.category_deleted", CategoryTarget(id), nil)
	})
	if err == nil {
		db.articlesChanged()
	}
	return err
}

const categoryColumns = `c.id, c.slug, c.name, c.description, c.position, c.updated_at,
	(SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id AND a.published = 1)`

func scanCategory(row interface{ Scan(...any) error }) (Category, error) {
	var c Category
	var updated int64
	if err := row.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.Position, &updated, &c.Articles); err != nil {
		return Category{}, err
	}
	c.UpdatedAt = fromNanos(updated)
	return c, nil
}

// ListCategories returns every category in order, each with its number of
// published articles.
func (db *DB) ListCategories(ctx context.Context) ([]Category, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+categoryColumns+" FROM kb_categories c ORDER BY c.position, c.name COLLATE NOCASE")
	if err != nil {
		return nil, fmt.Errorf("store: list categories: %w", err)
	}
	defer rows.Close()
	var out []Category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCategory returns a category by slug.
func (db *DB) GetCategory(ctx context.Context, slug string) (Category, error) {
	return db.getCategory(ctx, "c.slug = ?", slug)
}

// GetCategoryByID returns a category by id.
func (db *DB) GetCategoryByID(ctx context.Context, id int64) (Category, error) {
	return db.getCategory(ctx, "c.id = ?", id)
}

func (db *DB) getCategory(ctx context.Context, where string, arg any) (Category, error) {
	c, err := scanCategory(db.read.QueryRowContext(ctx, "SELECT "+categoryColumns+" FROM kb_categories c WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Category{}, ErrNotFound
	}
	if err != nil {
		return Category{}, fmt.Errorf("store: get category: %w", err)
	}
	return c, nil
}

// CategoryArticles returns the published articles of a category by title,
// without their bodies.
func (db *DB) CategoryArticles(ctx context.Context, id int64) ([]Article, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, slug, title, lang, category_id, updated_at FROM kb_articles
		WHERE category_id = ? AND published = 1 ORDER BY title COLLATE NOCASE`, id)
	if err != nil {
		return nil, fmt.Errorf("store: category articles: %w", err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		a := Article{Published: true}
		var updated int64
		if err := rows.Scan(&a.ID, &a.Slug, &a.Title, &a.Lang, &a.CategoryID, &updated); err != nil {
			return nil, fmt.Errorf("store: category articles: %w", err)
		}
		a.UpdatedAt = fromNanos(updated)
		out = append(out, a)
	}
	return out, rows.Err()
}

// importCategories creates, inside tx, the categories named by the
// articles (Article.CategoryName) that do not exist yet, after the
// existing ones, with the descriptions in descs (by name); it sets each
// article's CategoryID.
func (db *DB) importCategories(ctx context.Context, tx *sql.Tx, arts []Article, descs map[string]string, order []string) error {
	ids := map[string]int64{}
	var next int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(position) + 1, 0) FROM kb_categories").Scan(&next); err != nil {
		return fmt.Errorf("store: import categories: %w", err)
	}
	names := append([]string{}, order...)
	for _, a := range arts {
		if a.CategoryName != "" {
			names = append(names, a.CategoryName)
		}
	}
	for _, name := range names {
		if _, ok := ids[name]; ok {
			continue
		}
		slug := Slugify(name)
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM kb_categories WHERE slug = ?", slug).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			c := Category{Slug: slug, Name: name, Description: descs[name], Position: next}
			if err := c.Validate(); err != nil {
				return fmt.Errorf("store: import category %q: %w", name, err)
			}
			id, err = db.putCategory(ctx, tx, c)
			next++
		}
		if err != nil {
			return fmt.Errorf("store: import categories: %w", err)
		}
		ids[name] = id
	}
	for i := range arts {
		if id, ok := ids[arts[i].CategoryName]; ok {
			arts[i].CategoryID = id
		}
	}
	return nil
}

// Slugify makes a slug of a name: lowercase ASCII letters and digits
// joined by single hyphens ("Orders & shipping" → "orders-shipping").
func Slugify(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
		default:
			hyphen = true
		}
	}
	s := b.String()
	if len(s) > 80 {
		s = strings.TrimRight(s[:80], "-")
	}
	return s
}

// MostViewedArticles returns the published articles that have been
// viewed, most viewed first, at most limit: the home page's popular
// articles, by real views only.
func (db *DB) MostViewedArticles(ctx context.Context, limit int) ([]Article, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.slug, a.title, a.lang, COALESCE(a.category_id, 0) FROM kb_articles a
		JOIN kb_counters c ON c.article_id = a.id WHERE a.published = 1 AND c.views > 0
		ORDER BY c.views DESC, a.title COLLATE NOCASE LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: most viewed articles: %w", err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		a := Article{Published: true}
		if err := rows.Scan(&a.ID, &a.Slug, &a.Title, &a.Lang, &a.CategoryID); err != nil {
			return nil, fmt.Errorf("store: most viewed articles: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SitemapEntry is a public page of the knowledge base with the time it
// last changed.
type SitemapEntry struct {
	Path      string // "/kb/SLUG" or "/kb/category/SLUG"
	UpdatedAt time.Time
}

// Sitemap lists the published articles and the categories that hold at
// least one; never a draft.
func (db *DB) Sitemap(ctx context.Context) ([]SitemapEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT '/kb/' || slug, updated_at FROM kb_articles WHERE published = 1
		UNION ALL
		SELECT '/kb/category/' || c.slug, MAX(c.updated_at, MAX(a.updated_at)) FROM kb_categories c
			JOIN kb_articles a ON a.category_id = c.id AND a.published = 1 GROUP BY c.id
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("store: sitemap: %w", err)
	}
	defer rows.Close()
	var out []SitemapEntry
	for rows.Next() {
		var e SitemapEntry
		var at int64
		if err := rows.Scan(&e.Path, &at); err != nil {
			return nil, fmt.Errorf("store: sitemap: %w", err)
		}
		e.UpdatedAt = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
