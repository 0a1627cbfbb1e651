package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// parseExamples reads the example lines of an article's front matter, each
// " ANCHOR: question" (what follows the word "example"; no anchor for the
// article's top), checked against the article's sections as
// AddSectionExample checks one: personal data removed, length, an anchor
// the body has, at most MaxSectionExamples per section, each question once.
func parseExamples(body string, lines []string) ([]SectionExample, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	secs := Sections(body)
	seen := map[string]bool{}
	per := map[string]int{}
	var out []SectionExample
	for _, line := range lines {
		anchor, question, _ := strings.Cut(line, ":")
		anchor = strings.TrimPrefix(strings.TrimSpace(anchor), "#")
		ex := SectionExample{Anchor: anchor, Question: CleanExample(question)}
		if err := checkExample(ex.Question, anchor, secs); err != nil {
			return nil, exampleLineError(line, err)
		}
		key := foldExample(ex.Question)
		if seen[key] {
			return nil, fmt.Errorf("example%s: the article has this example question twice", line)
		}
		if per[anchor]++; per[anchor] > MaxSectionExamples {
			return nil, fmt.Errorf("example%s: a section holds at most %d example questions", line, MaxSectionExamples)
		}
		seen[key] = true
		out = append(out, ex)
	}
	return out, nil
}

// exampleLineError says what is wrong with a front matter example line.
func exampleLineError(line string, err error) error {
	var v *ValidationError
	if !errors.As(err, &v) {
		return err
	}
	if v.Fields["anchor"] != "" {
		return fmt.Errorf("example%s: the article has no heading with that anchor "+
			"(an anchor is the heading's words in lower case joined by hyphens, as in /kb/NAME#anchor)", line)
	}
	return fmt.Errorf("example%s: %s", line, v.Fields["question"])
}

// importExamples adds the example questions of an imported article that it
// does not have yet (an import never removes one: those added in the panel
// stay), and returns how many it added.
func (db *DB) importExamples(ctx context.Context, tx *sql.Tx, slug string, exs []SectionExample) (int, error) {
	if len(exs) == 0 {
		return 0, nil
	}
	var id int64
	if err := tx.QueryRowContext(ctx, "SELECT id FROM kb_articles WHERE slug = ?", slug).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: import examples: %w", err)
	}
	added := 0
	for _, ex := range exs {
		n, err := changed(tx.ExecContext(ctx, `INSERT INTO kb_examples (article_id, anchor, question, folded, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (article_id, folded) DO NOTHING`,
			id, ex.Anchor, ex.Question, foldExample(ex.Question), nanos(db.now())))
		if err != nil {
			return 0, fmt.Errorf("store: import examples: %w", err)
		}
		if n == 0 {
			continue
		}
		added++
		var full *ValidationError
		switch err := checkExampleRoom(ctx, tx, id, ex.Anchor, 0); {
		case errors.As(err, &full):
			return 0, fmt.Errorf("the section #%s would hold more than %d example questions with those added in the panel; remove some", ex.Anchor, MaxSectionExamples)
		case err != nil:
			return 0, err
		}
	}
	return added, nil
}
