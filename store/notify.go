package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// Staff notifications: what each person wants to hear about, and the queue
// of what they have not been told yet. CollectNotifications fills the
// queue from the audit log; web/notify mails it.

// The events staff may be notified of.
const (
	NotifyNewTicket     = "new_ticket"     // a new ticket nobody is assigned to
	NotifyCustomerReply = "customer_reply" // a customer wrote on a ticket assigned to me
	NotifyAssigned      = "assigned"       // someone assigned a ticket to me
	NotifyChatWaiting   = "chat_waiting"   // a chat waits for a person
	NotifyDueSoon       = "due_soon"       // a due time is about to be missed
)

// NotifyEvents lists the events in the order pages show them.
var NotifyEvents = []string{NotifyNewTicket, NotifyCustomerReply, NotifyAssigned, NotifyChatWaiting, NotifyDueSoon}

// Notification is an event a staff member is to be told of.
type Notification struct {
	ID        int64
	StaffID   int64
	Event     string
	TicketID  int64 // 0 for a chat
	ChatID    int64 // 0 for a ticket
	CreatedAt time.Time
}

// recipient is a staff member as the collector sees them.
type recipient struct {
	id    int64
	role  security.Role
	prefs StaffPrefs
}

// notifyBatch bounds how many audit entries one CollectNotifications call
// reads.
const notifyBatch = 500

// CollectNotifications reads the audit log past the collector's cursor and
// queues a notification for each event and each person who wants to hear
// of it, moving the cursor in the same transaction: a committed change is
// queued exactly once, whoever made it (portal, panel, API, chat, mail).
// Nobody is told of their own doing. It returns how many were queued and
// whether more entries wait.
func (db *DB) CollectNotifications(ctx context.Context) (queued int, more bool, err error) {
	var cursor, head int64
	if err := db.read.QueryRowContext(ctx, "SELECT audit_seq, COALESCE((SELECT MAX(seq) FROM audit_log), 0) FROM notify_cursor WHERE id = 1").
		Scan(&cursor, &head); err != nil {
		return 0, false, fmt.Errorf("store: collect notifications: %w", err)
	}
	if head <= cursor {
		return 0, false, nil
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT audit_seq FROM notify_cursor WHERE id = 1").Scan(&cursor); err != nil {
			return fmt.Errorf("store: collect notifications: %w", err)
		}
		staff, err := recipients(ctx, tx)
		if err != nil {
			return err
		}
		entries, last, full, err := notifyEntries(ctx, tx, cursor)
		if err != nil {
			return err
		}
		more = full
		for _, e := range entries {
			n, err := db.queueEntry(ctx, tx, staff, e)
			if err != nil {
				return err
			}
			queued += n
		}
		if _, err := tx.ExecContext(ctx, "UPDATE notify_cursor SET audit_seq = ? WHERE id = 1", last); err != nil {
			return fmt.Errorf("store: collect notifications: %w", err)
		}
		return nil
	})
	return queued, more, err
}

// recipients lists the active staff with their choices inside tx.
func recipients(ctx context.Context, tx *sql.Tx) ([]recipient, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, role FROM staff WHERE disabled_at IS NULL ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: collect notifications: %w", err)
	}
	var out []recipient
	var ids []int64
	for rows.Next() {
		var r recipient
		var role string
		if err := rows.Scan(&r.id, &role); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: collect notifications: %w", err)
		}
		r.role = security.Role(role)
		out, ids = append(out, r), append(ids, r.id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: collect notifications: %w", err)
	}
	prefs, err := staffPrefs(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].prefs = prefs[out[i].id]
	}
	return out, nil
}

// notifyEntry is an audit entry that may be an event.
type notifyEntry struct {
	seq                       int64
	actorType, actorID        string
	action, target            string
	details                   map[string]any
	ticketID, chatID, staffID int64
}

// notifyEntries reads up to notifyBatch audit entries after seq and returns
// those that may be events, the last seq read and whether the batch was
// full.
func notifyEntries(ctx context.Context, tx *sql.Tx, after int64) ([]notifyEntry, int64, bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT seq, actor_type, actor_id, action, target, details FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", after, notifyBatch)
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: collect notifications: %w", err)
	}
	defer rows.Close()
	var out []notifyEntry
	last, n := after, 0
	for rows.Next() {
		var e notifyEntry
		var details []byte
		if err := rows.Scan(&e.seq, &e.actorType, &e.actorID, &e.action, &e.target, &details); err != nil {
			return nil, 0, false, fmt.Errorf("store: collect notifications: %w", err)
		}
		last, n = e.seq, n+1
		kind, idText, _ := strings.Cut(e.target, ":")
		id, _ := strconv.ParseInt(idText, 10, 64)
		switch {
		case kind == "ticket" && (e.action == "ticket.created" || e.action == "ticket.message_added" || e.action == "ticket.updated"):
			e.ticketID = id
		case kind == "chat" && e.action == "chat.handed_off":
			e.chatID = id
		default:
			continue
		}
		if len(details) > 0 {
			if err := json.Unmarshal(details, &e.details); err != nil {
				return nil, 0, false, fmt.Errorf("store: audit entry %d details: %w", e.seq, err)
			}
		}
		out = append(out, e)
	}
	return out, last, n == notifyBatch, rows.Err()
}

// queueEntry queues entry e's notifications inside tx and returns how many.
func (db *DB) queueEntry(ctx context.Context, tx *sql.Tx, staff []recipient, e notifyEntry) (int, error) {
	event, who, err := db.entryEvent(ctx, tx, staff, e)
	if err != nil || event == "" {
		return 0, err
	}
	n := 0
	for _, r := range who {
		if e.actorType == ActorStaff && e.actorID == strconv.FormatInt(r.id, 10) {
			continue // their own doing
		}
		ok, err := db.queue(ctx, tx, r, event, "audit:"+strconv.FormatInt(e.seq, 10), e.ticketID, e.chatID)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// entryEvent decides which event e is, if any, and who may hear of it,
// from the ticket or chat as it is now: a ticket assigned since it was
// filed is no longer news to everyone, and a chat taken since it was
// handed off waits for nobody.
func (db *DB) entryEvent(ctx context.Context, tx *sql.Tx, staff []recipient, e notifyEntry) (string, []recipient, error) {
	if e.chatID != 0 {
		var status string
		err := tx.QueryRowContext(ctx, "SELECT status FROM chat_conversations WHERE id = ?", e.chatID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || status != ChatStatusWaiting {
			return "", nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("store: collect notifications: %w", err)
		}
		return NotifyChatWaiting, withPerm(staff, security.PermChatsHandle), nil
	}
	var status string
	var assignee int64
	err := tx.QueryRowContext(ctx, "SELECT status, COALESCE(assignee_id, 0) FROM tickets WHERE id = ?", e.ticketID).Scan(&status, &assignee)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil // erased since
	}
	if err != nil {
		return "", nil, fmt.Errorf("store: collect notifications: %w", err)
	}
	switch e.action {
	case "ticket.created":
		if assignee != 0 || status != "open" {
			return "", nil, nil
		}
		return NotifyNewTicket, withPerm(staff, security.PermTicketsWrite), nil
	case "ticket.message_added":
		if e.details["author"] != "customer" || e.details["internal"] == true || assignee == 0 {
			return "", nil, nil
		}
		return NotifyCustomerReply, only(staff, assignee), nil
	case "ticket.updated":
		to, _ := e.details["assignee"].(float64)
		if to == 0 || int64(to) != assignee {
			return "", nil, nil // unassigned, or reassigned since
		}
		return NotifyAssigned, only(staff, assignee), nil
	}
	return "", nil, nil
}

// withPerm keeps the staff whose role holds p.
func withPerm(staff []recipient, p security.Permission) []recipient {
	var out []recipient
	for _, r := range staff {
		if r.role.Can(p) {
			out = append(out, r)
		}
	}
	return out
}

// only keeps staff member id, if they may still work tickets.
func only(staff []recipient, id int64) []recipient {
	for _, r := range staff {
		if r.id == id && r.role.Can(security.PermTicketsWrite) {
			return []recipient{r}
		}
	}
	return nil
}

// queue adds one notification for r inside tx, by r's choice for the
// event; source names the event, so that it is queued for r once only. It
// reports whether a row was added.
func (db *DB) queue(ctx context.Context, tx *sql.Tx, r recipient, event, source string, ticketID, chatID int64) (bool, error) {
	mode := r.prefs.Deliver[event]
	if mode != DeliverNow && mode != DeliverDigest {
		return false, nil
	}
	n, err := changed(tx.ExecContext(ctx, `INSERT OR IGNORE INTO staff_notifications (staff_id, event, source, ticket_id, chat_id, digest, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.id, event, source, nullID(ticketID), nullID(chatID), mode == DeliverDigest, nanos(db.now())))
	if err != nil {
		return false, fmt.Errorf("store: queue notification: %w", err)
	}
	return n > 0, nil
}

// nullID is id, or NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
