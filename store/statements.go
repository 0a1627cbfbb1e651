package store

import (
	"context"
	"database/sql"
	"fmt"
)

// statements are the hottest queries, prepared once. Read statements live on
// the reader pool; write statements on the single writer connection, where a
// transaction borrows them with tx.StmtContext instead of parsing its SQL
// again on every call.
type statements struct {
	// Reader pool.
	getArticle   *sql.Stmt
	search       *sql.Stmt
	searchBare   *sql.Stmt
	newestFloor  *sql.Stmt
	snippet      *sql.Stmt
	termCount    *sql.Stmt
	articleCount *sql.Stmt
	sessionFind  *sql.Stmt
	tokenAuth    *sql.Stmt // store/tokens.go
	fileChunks   *sql.Stmt // store/attachments_read.go
	fileChunkIns *sql.Stmt // writer: store/attachments.go

	// Writer connection: use only through tx.StmtContext.
	customerByIndex  *sql.Stmt
	ticketMessageIDs *sql.Stmt
	messageID        *sql.Stmt
	insertTicket     *sql.Stmt
	insertMessage    *sql.Stmt
	auditHead        *sql.Stmt
	auditInsert      *sql.Stmt
}

func (db *DB) prepare(ctx context.Context) error {
	var err error
	p := func(pool *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = pool.PrepareContext(ctx, q)
		return s
	}
	r, w := db.read, db.write
	s := &db.stmts
	s.getArticle = p(r, `SELECT id, slug, title, body, published, lang, COALESCE(category_id, 0), created_at, updated_at FROM kb_articles WHERE slug = ?`)
	// Rank inside the FTS table first, then join: a JOIN filter in the same
	// statement as MATCH makes SQLite score every row the filter touches.
	// ORDER BY rank hands the sorting to FTS5, which keeps the match
	// positions of the rows it ranked, so snippet() runs for the returned
	// rows only and without looking their words up in the index again.
	// rowid >= ? ranks only the newest matches (see planSearch); 0 ranks all.
	s.search = p(r, `SELECT r.rowid, a.slug, a.title, a.published, r.rank, r.snip FROM (
			SELECT rowid, rank, snippet(kb_fts, 1, char(2), char(3), '…', 24) AS snip
			FROM kb_fts WHERE kb_fts MATCH ? AND rowid >= ? AND rank MATCH 'bm25(10.0, 1.0)'
			ORDER BY rank LIMIT ?
		) r JOIN kb_articles a ON a.id = r.rowid ORDER BY r.rank`)
	// The same without snippets. FTS5 sorting by rank costs more than SQLite
	// sorting by bm25(), which is worth it only for the snippets.
	s.searchBare = p(r, `SELECT r.rowid, a.slug, a.title, a.published, r.score FROM (
			SELECT rowid, bm25(kb_fts, 10.0, 1.0) AS score
			FROM kb_fts WHERE kb_fts MATCH ? AND rowid >= ? ORDER BY score LIMIT ?
		) r JOIN kb_articles a ON a.id = r.rowid ORDER BY r.score`)
	s.newestFloor = p(r, `SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?`)
	s.snippet = p(r, `SELECT snippet(kb_fts, 1, char(2), char(3), '…', 24) FROM kb_fts WHERE kb_fts MATCH ? AND rowid = ?`)
	// Counting stops at LIMIT: past a point, how common a word is changes
	// nothing (see matchCounts), and counting "the" reads its every match.
	s.termCount = p(r, `SELECT COUNT(*) FROM (SELECT 1 FROM kb_fts WHERE kb_fts MATCH ? LIMIT ?)`)
	s.articleCount = p(r, `SELECT COUNT(*) FROM kb_articles`)
	s.sessionFind = p(r, `SELECT data, expiry FROM sessions WHERE token_hash = ?`)
	s.tokenAuth = p(r, tokenAuthSQL)
	s.fileChunks = p(r, `SELECT idx, data FROM attachment_chunks WHERE attachment_id = ? AND idx >= ? AND idx < ? ORDER BY idx`)
	s.fileChunkIns = p(w, `INSERT INTO attachment_chunks (attachment_id, idx, data) VALUES (?, ?, ?)`)

	s.customerByIndex = p(w, `SELECT id, key_id FROM customers WHERE email_index = ?`)
	// Both ids in one read; see nextID for why they are read before the INSERTs.
	s.ticketMessageIDs = p(w, `SELECT
		COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tickets'), 0) + 1,
		COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0) + 1`)
	s.messageID = p(w, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0) + 1`)
	s.insertTicket = p(w, `INSERT INTO tickets (id, customer_id, subject, status, priority, confirmed, channel, created_at, updated_at, opened_at, lang)
		VALUES (?1, ?2, ?3, 'open', 'normal', ?4, ?5, ?6, ?7, ?6, ?8)`)
	s.insertMessage = p(w, `INSERT INTO messages (id, ticket_id, author_type, author_id, internal, body, created_at, channel)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	s.auditHead = p(w, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`)
	s.auditInsert = p(w, `INSERT INTO audit_log
		(seq, at, actor_type, actor_id, action, target, client_ip, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: prepare: %w", err)
	}
	return nil
}

func (s *statements) close() {
	for _, st := range []*sql.Stmt{
		s.getArticle, s.search, s.searchBare, s.newestFloor, s.snippet, s.termCount, s.articleCount, s.sessionFind, s.tokenAuth, s.fileChunks, s.fileChunkIns,
		s.customerByIndex, s.ticketMessageIDs, s.messageID, s.insertTicket, s.insertMessage, s.auditHead, s.auditInsert,
	} {
		if st != nil {
			st.Close()
		}
	}
}
