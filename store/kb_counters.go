package store

import (
	"context"
	"fmt"
)

// ArticleStats is an article with its aggregate counters: how often it was
// viewed and how often "did this answer your question?" got yes or no (on
// the article page or under an assistant's answer that quoted it). Nothing
// says who.
type ArticleStats struct {
	Slug, Title string
	Published   bool
	Views       int64
	Helpful     int64
	Unhelpful   int64
}

// countArticle adds to one counter of the published article with slug; it
// reports ErrNotFound when there is none.
func (db *DB) countArticle(ctx context.Context, q querier, slug, column string) error {
	n, err := changed(q.ExecContext(ctx, `INSERT INTO kb_counters (article_id, `+column+`)
		SELECT id, 1 FROM kb_articles WHERE slug = ? AND published = 1
		ON CONFLICT (article_id) DO UPDATE SET `+column+` = `+column+` + 1`, slug))
	if err != nil {
		return fmt.Errorf("store: count article: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// CountArticleView counts one view of a published article.
func (db *DB) CountArticleView(ctx context.Context, slug string) error {
	return db.countArticle(ctx, db.write, slug, "views")
}

// CountArticleFeedback counts one answer to "did this answer your
// question?" on a published article's page.
func (db *DB) CountArticleFeedback(ctx context.Context, slug string, helpful bool) error {
	return db.countArticle(ctx, db.write, slug, feedbackColumn(helpful))
}

func feedbackColumn(helpful bool) string {
	if helpful {
		return "helpful"
	}
	return "unhelpful"
}

// PopularArticles returns the published articles with the most views, most
// viewed first, at most limit; articles nobody viewed yet follow by title,
// so that a new help centre still shows a list.
func (db *DB) PopularArticles(ctx context.Context, limit int) ([]Article, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.slug, a.title, a.lang, COALESCE(c.views, 0) AS v
		FROM kb_articles a LEFT JOIN kb_counters c ON c.article_id = a.id
		WHERE a.published = 1 ORDER BY v DESC, a.title COLLATE NOCASE LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: popular articles: %w", err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		var a Article
		var views int64
		if err := rows.Scan(&a.ID, &a.Slug, &a.Title, &a.Lang, &views); err != nil {
			return nil, fmt.Errorf("store: popular articles: %w", err)
		}
		a.Published = true
		out = append(out, a)
	}
	return out, rows.Err()
}

// ArticleFeedback returns the articles that got a "no", most "no" answers
// first, at most limit: the articles that most need work.
func (db *DB) ArticleFeedback(ctx context.Context, limit int) ([]ArticleStats, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.slug, a.title, a.published, c.views, c.helpful, c.unhelpful
		FROM kb_counters c JOIN kb_articles a ON a.id = c.article_id
		WHERE c.unhelpful > 0 ORDER BY c.unhelpful DESC, c.helpful, a.title COLLATE NOCASE LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: article feedback: %w", err)
	}
	defer rows.Close()
	var out []ArticleStats
	for rows.Next() {
		var s ArticleStats
		if err := rows.Scan(&s.Slug, &s.Title, &s.Published, &s.Views, &s.Helpful, &s.Unhelpful); err != nil {
			return nil, fmt.Errorf("store: article feedback: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
