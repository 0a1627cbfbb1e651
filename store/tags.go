package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"safedesk/security"
)

// Tags are free labels that staff put on tickets to sort their work. A
// label is folded (security.FoldText, lower case, spaces as hyphens) and
// may hold letters, digits and - _ . : only. Labels are sealed with the
// system key, since one may name a person or a health matter; a keyed hash
// of the label (the blind index) finds it for filters.

// Tag limits.
const (
	MaxTagLen        = 40
	MaxTagsPerTicket = 10
)

// NormalizeTag folds a label; problem says, for people, why s cannot be
// one ("" when it can).
func NormalizeTag(s string) (tag, problem string) {
	t := strings.ToLower(strings.TrimSpace(security.FoldText(s).Text))
	t = strings.Join(strings.Fields(t), "-")
	switch {
	case t == "":
		return "", "Enter a tag."
	case utf8.RuneCountInString(t) > MaxTagLen:
		return "", fmt.Sprintf("Keep tags under %d characters.", MaxTagLen)
	}
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_.:", r) {
			return "", fmt.Sprintf("Tags hold letters, digits and - _ . : only (not %q).", r)
		}
	}
	return t, ""
}

// ParseTags reads a comma-separated list of labels: folded, without
// repeats, at most MaxTagsPerTicket. field names the form field in the
// ValidationError.
func ParseTags(s, field string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		t, problem := NormalizeTag(part)
		if problem != "" {
			return nil, &ValidationError{Fields: map[string]string{field: problem}}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTagsPerTicket {
		return nil, &ValidationError{Fields: map[string]string{field: fmt.Sprintf("Use at most %d tags.", MaxTagsPerTicket)}}
	}
	return out, nil
}

func tagLoc(id int64) security.Location {
	return security.Location{Table: "tags", Column: "label", Row: id}
}

// tagIndex is the blind index of a folded label.
func (db *DB) tagIndex(label string) []byte { return db.bidx.Hash("tag", []byte(label)) }

// tagID finds a label's id with q; 0 when no ticket carries it.
func (db *DB) tagID(ctx context.Context, q querier, label string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM tags WHERE label_index = ?", db.tagIndex(label)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: tag: %w", err)
	}
	return id, nil
}

// ensureTag returns the id of a label inside tx, adding it when new.
func (db *DB) ensureTag(ctx context.Context, tx *sql.Tx, label string) (int64, error) {
	id, err := db.tagID(ctx, tx, label)
	if err != nil || id != 0 {
		return id, err
	}
	if err := tx.QueryRowContext(ctx, "INSERT INTO tags (label_index, label) VALUES (?, x'') RETURNING id", db.tagIndex(label)).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: add tag: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tags SET label = ? WHERE id = ?", db.systemKey.SealString(label, tagLoc(id)), id); err != nil {
		return 0, fmt.Errorf("store: add tag: %w", err)
	}
	return id, nil
}

// TagChange adds and removes labels (already folded, as ParseTags returns
// them).
type TagChange struct {
	Add, Remove []string
}

// TagTickets applies c to each ticket in ids, in one transaction, with a
// ticket.updated audit entry (changed: tags; the labels themselves stay out
// of the log) for each ticket that changed. A ticket would carry more than
// MaxTagsPerTicket labels is a ValidationError; an unknown id is
// ErrNotFound. It returns how many tickets changed.
func (db *DB) TagTickets(ctx context.Context, ids []int64, c TagChange, a Actor) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			changed, err := db.tagTicket(ctx, tx, id, c)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			n++
			if err := db.appendAudit(ctx, tx, a, "ticket.updated", TicketTarget(id), map[string]any{"changed": []string{"tags"}}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// SetTicketTags makes tags the labels of ticket id, audited as TagTickets
// does; it reports whether anything changed.
func (db *DB) SetTicketTags(ctx context.Context, id int64, tags []string, a Actor) (bool, error) {
	current, err := db.ticketTags(ctx, db.read, []int64{id})
	if err != nil {
		return false, err
	}
	var c TagChange
	for _, t := range tags {
		if !slices.Contains(current[id], t) {
			c.Add = append(c.Add, t)
		}
	}
	for _, t := range current[id] {
		if !slices.Contains(tags, t) {
			c.Remove = append(c.Remove, t)
		}
	}
	n, err := db.TagTickets(ctx, []int64{id}, c, a)
	return n > 0, err
}

// tagTicket applies c to one ticket inside tx.
func (db *DB) tagTicket(ctx context.Context, tx *sql.Tx, id int64, c TagChange) (bool, error) {
	var count int
	err := tx.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM ticket_tags WHERE ticket_id = t.id) FROM tickets t WHERE t.id = ?", id).Scan(&count)
	if err != nil {
		return false, fmt.Errorf("store: tag ticket: %w", notFound(err))
	}
	did := false
	for _, op := range []struct {
		labels []string
		tag    func(string) (int64, error)
		q      string
		sign   int
	}{
		{c.Remove, func(l string) (int64, error) { return db.tagID(ctx, tx, l) }, "DELETE FROM ticket_tags WHERE tag_id = ? AND ticket_id = ?", -1},
		{c.Add, func(l string) (int64, error) { return db.ensureTag(ctx, tx, l) }, "INSERT OR IGNORE INTO ticket_tags (tag_id, ticket_id) VALUES (?, ?)", 1},
	} {
		for _, label := range op.labels {
			tag, err := op.tag(label)
			if err != nil {
				return false, err
			}
			n, err := changed(tx.ExecContext(ctx, op.q, tag, id))
			if err != nil {
				return false, fmt.Errorf("store: tag ticket: %w", err)
			}
			count, did = count+op.sign*int(n), did || n > 0
		}
	}
	if count > MaxTagsPerTicket {
		return false, &ValidationError{Fields: map[string]string{"tags": fmt.Sprintf("Ticket #%d would carry more than %d tags.", id, MaxTagsPerTicket)}}
	}
	return did, nil
}

// ListTags returns every label some ticket carries, sorted.
func (db *DB) ListTags(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT id, label FROM tags")
	if err != nil {
		return nil, fmt.Errorf("store: list tags: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var sealed []byte
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, fmt.Errorf("store: list tags: %w", err)
		}
		label, err := db.systemKey.OpenString(sealed, tagLoc(id))
		if err != nil {
			return nil, err
		}
		out = append(out, label)
	}
	slices.Sort(out)
	return out, rows.Err()
}

// ticketTags returns the labels of each ticket in ids, sorted.
func (db *DB) ticketTags(ctx context.Context, q querier, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	marks := strings.Repeat(",?", len(ids))[1:]
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, "SELECT tt.ticket_id, g.id, g.label FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.ticket_id IN ("+marks+")", args...)
	if err != nil {
		return nil, fmt.Errorf("store: ticket tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ticket, id int64
		var sealed []byte
		if err := rows.Scan(&ticket, &id, &sealed); err != nil {
			return nil, fmt.Errorf("store: ticket tags: %w", err)
		}
		label, err := db.systemKey.OpenString(sealed, tagLoc(id))
		if err != nil {
			return nil, err
		}
		out[ticket] = append(out[ticket], label)
	}
	for _, ts := range out {
		slices.Sort(ts)
	}
	return out, rows.Err()
}
