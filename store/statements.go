package store

import (
	"context"
	"database/sql"
	"fmt"
)

// statements are prepared once on the reader pool for the hottest queries.
type statements struct {
	getArticle     *sql.Stmt
	articleVersion *sql.Stmt
	search         *sql.Stmt
	sessionFind    *sql.Stmt
}

func (db *DB) prepare(ctx context.Context) error {
	var err error
	p := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = db.read.PrepareContext(ctx, q)
		return s
	}
	db.stmts.getArticle = p(`SELECT id, slug, title, body, published, created_at, updated_at FROM kb_articles WHERE slug = ?`)
	db.stmts.articleVersion = p(`SELECT COALESCE(MAX(updated_at), 0) + (SELECT COUNT(*) FROM kb_articles) FROM kb_articles`)
	db.stmts.search = p(`SELECT a.slug, a.title, r.snip, r.score FROM (
			SELECT rowid, bm25(kb_fts, 10.0, 1.0) AS score,
				snippet(kb_fts, 1, char(2), char(3), '…', 24) AS snip
			FROM kb_fts WHERE kb_fts MATCH ? ORDER BY score LIMIT ?
		) r JOIN kb_articles a ON a.id = r.rowid WHERE a.published = 1 ORDER BY r.score`)
	db.stmts.sessionFind = p(`SELECT data, expiry FROM sessions WHERE token_hash = ?`)
	if err != nil {
		return fmt.Errorf("store: prepare: %w", err)
	}
	return nil
}

func (s *statements) close() {
	for _, st := range []*sql.Stmt{s.getArticle, s.articleVersion, s.search, s.sessionFind} {
		if st != nil {
			st.Close()
		}
	}
}
