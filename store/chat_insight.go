package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// What the assistant did with a visitor's message, recorded in
// ChatMessage.Outcome. The insight page counts them.
const (
	ChatOutcomeAnswered  = "answered"  // quoted and linked an article
	ChatOutcomeUnsure    = "unsure"    // found nothing good enough: offered a person or a ticket
	ChatOutcomeGated     = "gated"     // a private request from an unverified visitor
	ChatOutcomePrivate   = "private"   // a private request answered for the verified customer
	ChatOutcomeRefused   = "refused"   // a probe
	ChatOutcomeHandoff   = "handoff"   // asked for a person
	ChatOutcomeSmalltalk = "smalltalk" // greeting, thanks, abuse
	ChatOutcomeVerify    = "verify"    // part of verifying an address in the chat
	ChatOutcomeError     = "error"     // the assistant failed; the visitor got the fallback
)

// ChatStats summarises the chat over a period.
type ChatStats struct {
	From, To time.Time
	// Conversations counts conversations started; Engaged those in which the
	// visitor wrote at least one message.
	Conversations, Engaged int
	// Deflected counts engaged conversations the assistant answered at
	// least once and that never went to a person.
	Deflected int
	HandedOff int // handed to the staff queue (asked for, or taken by an agent)
	Tickets   int // turned into tickets
	// Outcomes counts visitor messages by outcome.
	Outcomes map[string]int
	// Model counts the answers a language model was asked for: "used" for
	// those it wrote, and each reason its answer fell back.
	Model  map[string]int
	Probes int // probing attempts counted against these conversations
	Days   []ChatDay
}

// ChatDay is one day of ChatStats, for the chart.
type ChatDay struct {
	Day                           time.Time
	Engaged, Deflected, HandedOff int
}

// ChatStats counts conversations created in [from, to), with days split in
// loc.
func (db *DB) ChatStats(ctx context.Context, from, to time.Time, loc *time.Location) (ChatStats, error) {
	if loc == nil {
		loc = time.UTC
	}
	st := ChatStats{From: from, To: to, Outcomes: map[string]int{}, Model: map[string]int{}}
	if err := db.countConversations(ctx, &st, loc); err != nil {
		return st, fmt.Errorf("store: chat stats: %w", err)
	}
	if err := db.countOutcomes(ctx, &st); err != nil {
		return st, fmt.Errorf("store: chat stats: %w", err)
	}
	if err := db.read.QueryRowContext(ctx, "SELECT COALESCE(SUM(probes), 0) FROM chat_conversations WHERE created_at >= ? AND created_at < ?",
		nanos(from), nanos(to)).Scan(&st.Probes); err != nil {
		return st, fmt.Errorf("store: chat stats: %w", err)
	}
	return st, nil
}

// countConversations fills in the conversation counts of st, in total and
// for each day of st's period in loc.
func (db *DB) countConversations(ctx context.Context, st *ChatStats, loc *time.Location) error {
	rows, err := db.read.QueryContext(ctx, `SELECT c.created_at, c.handoff_at IS NOT NULL, c.ticket_id IS NOT NULL,
			EXISTS (SELECT 1 FROM chat_messages m WHERE m.conversation_id = c.id AND m.author = 'visitor'),
			EXISTS (SELECT 1 FROM chat_messages m WHERE m.conversation_id = c.id AND m.outcome = ?)
		FROM chat_conversations c WHERE c.created_at >= ? AND c.created_at < ?`, ChatOutcomeAnswered, nanos(st.From), nanos(st.To))
	if err != nil {
		return err
	}
	defer rows.Close()
	days := map[time.Time]*ChatDay{}
	for d := startOfDay(st.From, loc); d.Before(st.To); d = d.AddDate(0, 0, 1) {
		st.Days = append(st.Days, ChatDay{Day: d})
	}
	for i := range st.Days {
		days[st.Days[i].Day] = &st.Days[i]
	}
	for rows.Next() {
		var created int64
		var handed, ticket, engaged, answered bool
		if err := rows.Scan(&created, &handed, &ticket, &engaged, &answered); err != nil {
			return err
		}
		st.Conversations++
		day := days[startOfDay(fromNanos(created), loc)]
		if day == nil {
			day = &ChatDay{}
		}
		if ticket {
			st.Tickets++
		}
		if handed {
			st.HandedOff++
			day.HandedOff++
		}
		if engaged {
			st.Engaged++
			day.Engaged++
			if answered && !handed {
				st.Deflected++
				day.Deflected++
			}
		}
	}
	return rows.Err()
}

// countOutcomes counts the visitor messages of st's period by outcome, and
// those a language model was asked about by what came of it.
func (db *DB) countOutcomes(ctx context.Context, st *ChatStats) error {
	rows, err := db.read.QueryContext(ctx, `SELECT outcome, model, COUNT(*) FROM chat_messages
		WHERE author = 'visitor' AND created_at >= ? AND created_at < ? GROUP BY outcome, model`, nanos(st.From), nanos(st.To))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o, m string
		var n int
		if err := rows.Scan(&o, &m, &n); err != nil {
			return err
		}
		st.Outcomes[o] += n
		if m != "" {
			st.Model[m] += n
		}
	}
	return rows.Err()
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// ListChatMessagesByOutcome returns visitor messages with this outcome sent
// since, newest first, opened: for the insight page's list of questions the
// assistant could not answer.
func (db *DB) ListChatMessagesByOutcome(ctx context.Context, outcome string, since time.Time, limit int) ([]ChatMessage, error) {
	if limit <= 0 || limit > 5000 {
		limit = 1000
	}
	return db.openVisitorMessages(ctx, `SELECT m.id, m.conversation_id, m.body, m.intent, m.outcome, m.created_at, c.key_id
		FROM chat_messages m JOIN chat_conversations c ON c.id = m.conversation_id
		WHERE m.outcome = ? AND m.author = 'visitor' AND m.created_at >= ? ORDER BY m.id DESC LIMIT ?`,
		outcome, nanos(since), limit)
}

// ListUnhelpfulQuestions returns, newest first, the visitor messages since
// then whose answer the visitor said did not answer their question: they
// are gaps in the knowledge base as much as the ones the assistant could
// not answer at all.
func (db *DB) ListUnhelpfulQuestions(ctx context.Context, since time.Time, limit int) ([]ChatMessage, error) {
	if limit <= 0 || limit > 5000 {
		limit = 1000
	}
	return db.openVisitorMessages(ctx, `SELECT m.id, m.conversation_id, m.body, m.intent, m.outcome, m.created_at, c.key_id
		FROM chat_messages b
		JOIN chat_messages m ON m.id = (SELECT MAX(p.id) FROM chat_messages p
			WHERE p.conversation_id = b.conversation_id AND p.id < b.id AND p.author = 'visitor')
		JOIN chat_conversations c ON c.id = m.conversation_id
		WHERE b.feedback = 0 AND b.author = 'bot' AND b.created_at >= ? ORDER BY m.id DESC LIMIT ?`,
		nanos(since), limit)
}

// ListChatQuestions returns the visitor messages with these ids (at most
// 50), newest first: the questions the insight page attaches to "write an
// article for this".
func (db *DB) ListChatQuestions(ctx context.Context, ids []int64) ([]ChatMessage, error) {
	if len(ids) > 50 {
		ids = ids[:50]
	}
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i], marks[i] = id, "?"
	}
	return db.openVisitorMessages(ctx, `SELECT m.id, m.conversation_id, m.body, m.intent, m.outcome, m.created_at, c.key_id
		FROM chat_messages m JOIN chat_conversations c ON c.id = m.conversation_id
		WHERE m.author = 'visitor' AND m.id IN (`+strings.Join(marks, ",")+`) ORDER BY m.id DESC`, args...)
}

// openVisitorMessages runs a query for visitor messages (id, conversation,
// sealed body, intent, outcome, time, key id) and opens their bodies.
func (db *DB) openVisitorMessages(ctx context.Context, query string, args ...any) ([]ChatMessage, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: chat questions: %w", err)
	}
	type sealed struct {
		m     ChatMessage
		body  []byte
		keyID int64
	}
	var all []sealed
	for rows.Next() {
		s := sealed{m: ChatMessage{Author: ChatAuthorVisitor}}
		var created int64
		if err := rows.Scan(&s.m.ID, &s.m.ConversationID, &s.body, &s.m.Intent, &s.m.Outcome, &created, &s.keyID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: chat questions: %w", err)
		}
		s.m.CreatedAt = fromNanos(created)
		all = append(all, s)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: chat questions: %w", err)
	}
	out := make([]ChatMessage, 0, len(all))
	for _, s := range all {
		key, err := db.dataKey(ctx, db.read, s.keyID)
		if err != nil {
			return nil, err
		}
		if s.m.Body, err = key.OpenString(s.body, chatLoc(s.m.ID, "body")); err != nil {
			return nil, err
		}
		out = append(out, s.m)
	}
	return out, nil
}

// RateChatAnswer records the visitor's answer to "did this answer your
// question?" under one of the assistant's replies in their conversation,
// and counts it for the article the reply quoted. A reply is rated once:
// again is ErrConflict; a message that is not an assistant's answer in
// that conversation is ErrNotFound.
func (db *DB) RateChatAnswer(ctx context.Context, conversationID, messageID int64, helpful bool) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var article string
		var rated sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT article, feedback FROM chat_messages
			WHERE id = ? AND conversation_id = ? AND author = 'bot' AND article != ''`, messageID, conversationID).Scan(&article, &rated)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: rate answer: %w", err)
		}
		if rated.Valid {
			return ErrConflict
		}
		if _, err := tx.ExecContext(ctx, "UPDATE chat_messages SET feedback = ? WHERE id = ?", helpful, messageID); err != nil {
			return fmt.Errorf("store: rate answer: %w", err)
		}
		// The article may have gone since; the answer is still rated.
		if err := db.countArticle(ctx, tx, article, feedbackColumn(helpful)); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
}

// PurgeChats deletes conversations (with their messages) last active before
// cutoff, with one audit entry. Deleted pages are overwritten
// (secure_delete), so the text does not linger in the file.
func (db *DB) PurgeChats(ctx context.Context, cutoff time.Time, a Actor) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = changed(tx.ExecContext(ctx, "DELETE FROM chat_conversations WHERE updated_at < ?", nanos(cutoff))); err != nil {
			return fmt.Errorf("store: purge chats: %w", err)
		}
		if n == 0 {
			return nil
		}
		return db.appendAudit(ctx, tx, a, "chat.purged", "chat", map[string]any{"conversations": n,
			"before": cutoff.UTC().Format(time.RFC3339)})
	})
	return int(n), err
}
