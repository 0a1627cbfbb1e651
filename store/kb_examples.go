package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"safedesk/security"
)

// SectionExample is a question a customer may ask that one section of an
// article answers ("is there a number I can call" for "Ways to reach us"),
// written or approved by staff, with personal data removed. The assistant
// matches questions against examples as well as against the section's
// text.
type SectionExample struct {
	ID        int64
	ArticleID int64
	// Anchor is the section's heading anchor (Section.Anchor); "" is the
	// article's top: its first section, whether or not it has a heading.
	// An edit that removes a heading moves the heading's examples to "".
	Anchor   string
	Question string
	Created  time.Time
}

// Limits on example questions.
const (
	// MaxExampleRunes is the longest example question, in characters.
	MaxExampleRunes = 200
	// MaxSectionExamples is how many example questions one section holds.
	MaxSectionExamples = 30
)

// longNumber finds numbers of four digits or more (order, invoice and
// tracking numbers, postcodes), which RedactAll leaves and an example
// question never needs.
var longNumber = regexp.MustCompile(`#?\d(?:[ -]?\d){3,}`)

// CleanExample is question as AddSectionExample saves it: personal data
// removed (security.RedactAll, then numbers of four digits or more), white
// space made single.
func CleanExample(question string) string {
	text := security.RedactAll(strings.Join(strings.Fields(question), " "))
	return longNumber.ReplaceAllString(text, "[number removed]")
}

// foldExample is the form two example questions are compared in: folded
// (security.Skeleton: case, accents, look-alikes) with only letters and
// digits, words separated by one space.
func foldExample(question string) string {
	return strings.Join(strings.FieldsFunc(security.Skeleton(question), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// checkExample validates a cleaned example question for a section of an
// article with the given sections.
func checkExample(question, anchor string, secs []Section) error {
	var v ValidationError
	switch n := utf8.RuneCountInString(question); {
	case foldExample(question) == "":
		v.add("question", "Enter a question.")
	case n > MaxExampleRunes:
		v.add("question", fmt.Sprintf("Keep an example question to %d characters (this one has %d).", MaxExampleRunes, n))
	}
	if anchor != "" && !hasAnchor(secs, anchor) {
		v.add("anchor", "Choose one of the article's sections.")
	}
	return v.err()
}

// hasAnchor reports whether one of secs has the anchor.
func hasAnchor(secs []Section, anchor string) bool {
	for _, s := range secs {
		if s.Anchor == anchor {
			return true
		}
	}
	return false
}

// AddSectionExample adds an example question to the section of an article
// with the anchor ("" for the article's top), with personal data removed
// first. It refuses, as a ValidationError, an empty or too long question,
// an anchor the article does not have, a section that has
// MaxSectionExamples already, and a question the article has already
// (folded: case, accents and punctuation do not count). Audited without
// the question's text.
func (db *DB) AddSectionExample(ctx context.Context, articleID int64, anchor, question string, a Actor) (SectionExample, error) {
	ex := SectionExample{ArticleID: articleID, Anchor: anchor, Question: CleanExample(question), Created: db.now()}
	defer db.articlesChanged()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var slug, body string
		err := tx.QueryRowContext(ctx, "SELECT slug, body FROM kb_articles WHERE id = ?", articleID).Scan(&slug, &body)
		if err != nil {
			return notFound(err)
		}
		if err := checkExample(ex.Question, anchor, Sections(body)); err != nil {
			return err
		}
		if err := checkExampleRoom(ctx, tx, articleID, anchor, 1); err != nil {
			return err
		}
		ex.ID, err = insertExample(ctx, tx, ex)
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "kb.example_added", "kb:"+slug, map[string]any{"anchor": anchor, "example": ex.ID})
	})
	if err != nil {
		return SectionExample{}, err
	}
	return ex, nil
}

// checkExampleRoom refuses adding n examples to a section that would then
// hold more than MaxSectionExamples.
func checkExampleRoom(ctx context.Context, tx *sql.Tx, articleID int64, anchor string, n int) error {
	var have int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM kb_examples WHERE article_id = ? AND anchor = ?", articleID, anchor).Scan(&have); err != nil {
		return fmt.Errorf("store: count examples: %w", err)
	}
	if have+n > MaxSectionExamples {
		var v ValidationError
		v.add("question", fmt.Sprintf("A section holds at most %d example questions; remove one first.", MaxSectionExamples))
		return v.err()
	}
	return nil
}

// insertExample saves a checked example, refusing one the article has
// already.
func insertExample(ctx context.Context, tx *sql.Tx, ex SectionExample) (int64, error) {
	id, err := inserted(tx.ExecContext(ctx, `INSERT INTO kb_examples (article_id, anchor, question, folded, created_at)
		VALUES (?, ?, ?, ?, ?)`, ex.ArticleID, ex.Anchor, ex.Question, foldExample(ex.Question), nanos(ex.Created)))
	switch {
	case violates(err, uniqueViolation):
		var v ValidationError
		v.add("question", "This article already has that example question.")
		return 0, v.err()
	case err != nil:
		return 0, fmt.Errorf("store: add example: %w", err)
	}
	return id, nil
}

// DeleteSectionExample removes an example question; ErrNotFound if there
// is none with the id. Audited.
func (db *DB) DeleteSectionExample(ctx context.Context, id int64, a Actor) error {
	defer db.articlesChanged()
	return db.tx(ctx, func(tx *sql.Tx) error {
		var slug, anchor string
		err := tx.QueryRowContext(ctx, `DELETE FROM kb_examples WHERE id = ? RETURNING anchor,
			(SELECT slug FROM kb_articles WHERE kb_articles.id = kb_examples.article_id)`, id).Scan(&anchor, &slug)
		if err != nil {
			return notFound(err)
		}
		return db.appendAudit(ctx, tx, a, "kb.example_deleted", "kb:"+slug, map[string]any{"anchor": anchor, "example": id})
	})
}

// SectionExamples returns an article's example questions, by section
// (anchor) and then in the order they were added.
func (db *DB) SectionExamples(ctx context.Context, articleID int64) ([]SectionExample, error) {
	return db.queryExamples(ctx, `SELECT id, article_id, anchor, question, created_at FROM kb_examples
		WHERE article_id = ? ORDER BY anchor, id`, articleID)
}

// AllSectionExamples returns the example questions of every published
// article, by article and section, for the assistant's index.
func (db *DB) AllSectionExamples(ctx context.Context) ([]SectionExample, error) {
	return db.queryExamples(ctx, `SELECT e.id, e.article_id, e.anchor, e.question, e.created_at FROM kb_examples e
		JOIN kb_articles a ON a.id = e.article_id WHERE a.published = 1 ORDER BY e.article_id, e.anchor, e.id`)
}

func (db *DB) queryExamples(ctx context.Context, query string, args ...any) ([]SectionExample, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: examples: %w", err)
	}
	defer rows.Close()
	var out []SectionExample
	for rows.Next() {
		var ex SectionExample
		var created int64
		if err := rows.Scan(&ex.ID, &ex.ArticleID, &ex.Anchor, &ex.Question, &created); err != nil {
			return nil, fmt.Errorf("store: examples: %w", err)
		}
		ex.Created = fromNanos(created)
		out = append(out, ex)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: examples: %w", err)
	}
	return out, nil
}

// reanchorExamples moves the examples of the article slug whose heading
// its new body no longer has to the article's top (anchor ""), so that an
// edit never loses them.
func reanchorExamples(ctx context.Context, tx *sql.Tx, slug, body string) error {
	anchors := []string{}
	for _, s := range Sections(body) {
		anchors = append(anchors, s.Anchor)
	}
	list, err := json.Marshal(anchors)
	if err != nil {
		return fmt.Errorf("store: keep examples: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE kb_examples SET anchor = '' WHERE anchor != ''
		AND article_id = (SELECT id FROM kb_articles WHERE slug = ?)
		AND anchor NOT IN (SELECT value FROM json_each(?))`, slug, string(list))
	if err != nil {
		return fmt.Errorf("store: keep examples: %w", err)
	}
	return nil
}

// ExampleMatcher reports whether a customer's question is, folded as
// example questions are compared (personal data removed; case, accents and
// punctuation do not count), an example question of a published article:
// a question the knowledge base now answers, so no longer a gap in it.
func (db *DB) ExampleMatcher(ctx context.Context) (func(question string) bool, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT e.folded FROM kb_examples e
		JOIN kb_articles a ON a.id = e.article_id WHERE a.published = 1`)
	if err != nil {
		return nil, fmt.Errorf("store: example matcher: %w", err)
	}
	defer rows.Close()
	known := map[string]bool{}
	for rows.Next() {
		var folded string
		if err := rows.Scan(&folded); err != nil {
			return nil, fmt.Errorf("store: example matcher: %w", err)
		}
		known[folded] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: example matcher: %w", err)
	}
	return func(question string) bool { return known[foldExample(CleanExample(question))] }, nil
}
