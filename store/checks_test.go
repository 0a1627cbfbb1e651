package store_test

import (
	"strings"
	"testing"
)

// TestValueChecksWithoutLists: the value checks of tickets and messages
// (migration 0016) still refuse every value outside their list, and
// writing a ticket or message no longer builds a temporary b-tree per
// check (OpenEphemeral in the statement's program).
func TestValueChecksWithoutLists(t *testing.T) {
	db, _ := newTestDB(t)
	w := db.Writer()
	tk := createTicket(t, db, "checks@example.com", "Checks")
	for _, q := range []string{
		"UPDATE tickets SET status = 'lost' WHERE id = ?",
		"UPDATE tickets SET priority = 'someday' WHERE id = ?",
		"UPDATE tickets SET channel = 'fax' WHERE id = ?",
		"UPDATE messages SET author_type = 'robot' WHERE ticket_id = ?",
		"UPDATE messages SET channel = 'fax' WHERE ticket_id = ?",
		"UPDATE tickets SET status = 'Open' WHERE id = ?", // the same collation: case counts
	} {
		if _, err := w.ExecContext(t.Context(), q, tk.ID); err == nil || !strings.Contains(err.Error(), "CHECK constraint failed") {
			t.Errorf("%s: %v, want a CHECK failure", q, err)
		}
	}
	for _, q := range []string{
		"UPDATE tickets SET status = 'pending', priority = 'urgent', channel = 'email' WHERE id = ?",
		"UPDATE messages SET author_type = 'system', channel = 'chat' WHERE ticket_id = ?",
	} {
		if _, err := w.ExecContext(t.Context(), q, tk.ID); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO tickets (customer_id, subject, status, priority, confirmed, channel, created_at, updated_at)
			VALUES (1, x'00', 'open', 'normal', 1, 'api', 1, 1)`,
		`INSERT INTO messages (ticket_id, author_type, body, created_at, channel) VALUES (1, 'customer', x'00', 1, 'api')`,
	} {
		if strings.Contains(dumpQuery(t, db, "EXPLAIN "+q), "|OpenEphemeral|") {
			t.Errorf("%s: builds a temporary b-tree", strings.Fields(q)[2])
		}
	}
}
