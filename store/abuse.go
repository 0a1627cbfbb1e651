package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ClientID names the client an address belongs to, for rate limits, blocks
// and the sessions a block ends: an IPv4 address as itself, an IPv6
// address by its /64 prefix ("2001:db8:1:2::/64"), because one subscriber
// holds a whole /64 and could otherwise step round a block. An invalid
// address gives "".
func ClientID(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return ""
	case a.Is4():
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// ParseClientID turns a ClientID back into an address within it (for an
// IPv6 client, the first of its /64).
func ParseClientID(s string) (netip.Addr, error) {
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is6() && p.Bits() == 64 {
		return p.Addr(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("store: %q is not a client (an IPv4 address or an IPv6 /64)", s)
	}
	return a, nil
}

// clientOfIP is the ClientID of a stored address text, "" if unreadable.
func clientOfIP(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return ClientID(a)
}

// Block is a client's block by the abuse guard as stored.
type Block struct {
	Client    string // a ClientID
	Until     time.Time
	Level     int    // blocks of this client so far, this one included
	Reason    string // what the guard found, such as "probe: .env"
	CreatedAt time.Time
	LiftedAt  time.Time // when staff lifted it early; zero if not
	LiftedBy  string    // the audit actor that lifted it
}

// Active reports whether the block is in force at now.
func (b Block) Active(now time.Time) bool { return b.LiftedAt.IsZero() && now.Before(b.Until) }

// BlockResult counts the sessions of a block's client: the customer
// sessions it ended, and the staff sessions it kept. A block never ends a
// passkey-authenticated staff session, which anyone behind the same NAT or
// mobile carrier address could otherwise end; it is recorded instead.
type BlockResult struct {
	StaffSessions    int64
	CustomerSessions int64
}

// SaveBlock stores the block b and, with endSessions, ends every customer
// session last used from its client. The staff sessions last used from it
// are kept and named in a warning security event (abuse.staff_kept). A
// critical security event and an audit entry (security.blocked, by the
// system, naming the client) are written in the same transaction.
func (db *DB) SaveBlock(ctx context.Context, b Block, endSessions bool) (BlockResult, error) {
	var res BlockResult
	if _, err := ParseClientID(b.Client); err != nil {
		return res, err
	}
	now := db.now()
	if b.Level < 1 {
		b.Level = 1
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO security_blocks (client, until, level, reason, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (client) DO UPDATE SET until = excluded.until, level = excluded.level, reason = excluded.reason,
				created_at = excluded.created_at, lifted_at = NULL, lifted_by = ''`,
			b.Client, nanos(b.Until), b.Level, b.Reason, nanos(now))
		if err != nil {
			return fmt.Errorf("store: save block: %w", err)
		}
		var staff []int64
		if endSessions {
			if staff, err = db.clientStaffSessions(ctx, tx, b.Client); err != nil {
				return err
			}
			res.CustomerSessions, err = changed(tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash IN
				(SELECT token_hash FROM session_clients WHERE client = ?)`, b.Client))
			if err != nil {
				return fmt.Errorf("store: save block: %w", err)
			}
			res.StaffSessions = int64(len(staff))
		}
		details := map[string]any{
			"reason": b.Reason, "level": b.Level, "until": b.Until.UTC().Format(time.RFC3339),
			"staff_sessions_kept": res.StaffSessions, "customer_sessions_ended": res.CustomerSessions,
		}
		if len(staff) > 0 {
			details["staff"] = staff
			if err := insertSecurityEvent(ctx, tx, SecurityEvent{At: now, Kind: "abuse.staff_kept", Severity: SeverityWarning,
				ClientIP: b.Client, Actor: "-", Details: map[string]any{"staff": staff, "reason": b.Reason}}); err != nil {
				return err
			}
		}
		if err := insertSecurityEvent(ctx, tx, SecurityEvent{At: now, Kind: "abuse.blocked", Severity: SeverityCritical,
			ClientIP: b.Client, Actor: "-", Details: details}); err != nil {
			return err
		}
		a := Actor{Type: ActorSystem, ID: "guard", ClientIP: b.Client}
		return db.appendAudit(ctx, tx, a, "security.blocked", "client:"+b.Client, details)
	})
	return res, err
}

// clientStaffSessions returns whose live staff sessions were last used
// from client. The client of a session is worked out from its address here,
// as an IPv6 client is a prefix.
func (db *DB) clientStaffSessions(ctx context.Context, tx *sql.Tx, client string) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT staff_id, client_ip FROM staff_sessions WHERE revoked_at IS NULL")
	if err != nil {
		return nil, fmt.Errorf("store: block sessions: %w", err)
	}
	defer rows.Close()
	var staff []int64
	for rows.Next() {
		var id int64
		var ip string
		if err := rows.Scan(&id, &ip); err != nil {
			return nil, fmt.Errorf("store: block sessions: %w", err)
		}
		if clientOfIP(ip) == client {
			staff = append(staff, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: block sessions: %w", err)
	}
	return staff, nil
}

// LiftBlock ends client's block early, as when staff clear a false
// positive; audited as security.block_lifted. A client without a block in
// force is ErrNotFound.
func (db *DB) LiftBlock(ctx context.Context, client string, a Actor) error {
	now := db.now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		var reason string
		var level int
		err := tx.QueryRowContext(ctx, `UPDATE security_blocks SET lifted_at = ?, lifted_by = ?
			WHERE client = ? AND lifted_at IS NULL AND until > ? RETURNING reason, level`,
			nanos(now), actorString(a), client, nanos(now)).Scan(&reason, &level)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: lift block: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "security.block_lifted", "client:"+client, map[string]any{"reason": reason, "level": level})
	})
}

const blockColumns = "client, until, level, reason, created_at, lifted_at, lifted_by"

// ActiveBlocks returns the blocks in force, the longest-lasting first.
func (db *DB) ActiveBlocks(ctx context.Context) ([]Block, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+blockColumns+" FROM security_blocks WHERE lifted_at IS NULL AND until > ? ORDER BY until DESC",
		nanos(db.now()))
	if err != nil {
		return nil, fmt.Errorf("store: blocks: %w", err)
	}
	defer rows.Close()
	var out []Block
	for rows.Next() {
		var b Block
		var until, created int64
		var lifted sql.NullInt64
		if err := rows.Scan(&b.Client, &until, &b.Level, &b.Reason, &created, &lifted, &b.LiftedBy); err != nil {
			return nil, fmt.Errorf("store: blocks: %w", err)
		}
		b.Until, b.CreatedAt, b.LiftedAt = fromNanos(until), fromNanos(created), fromNullNanos(lifted)
		out = append(out, b)
	}
	return out, rows.Err()
}

// BindSessionClient records that the session whose token has tokenHash is
// being used from client, so that a block of the client ends it.
func (db *DB) BindSessionClient(ctx context.Context, tokenHash []byte, client string) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO session_clients (token_hash, client, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET client = excluded.client, seen_at = excluded.seen_at`,
		tokenHash, client, nanos(db.now()))
	if err != nil {
		return fmt.Errorf("store: bind session: %w", err)
	}
	return nil
}

// RecordAuthFailure records a refused sign-in, code or credential: the
// security event e and an audit entry (action, target, details e.Details
// plus the event's kind) by a, in one transaction. a is normally a visitor
// with its client address; target names what was tried ("staff:7") or is
// "-". Nothing personal belongs in e.Details.
func (db *DB) RecordAuthFailure(ctx context.Context, e SecurityEvent, a Actor, action, target string) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	if e.Severity == "" {
		e.Severity = SeverityWarning
	}
	details := map[string]any{"kind": e.Kind}
	for k, v := range e.Details {
		details[k] = v
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := insertSecurityEvent(ctx, tx, e); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, action, target, details)
	})
}

// insertSecurityEvent writes e inside tx.
func insertSecurityEvent(ctx context.Context, tx *sql.Tx, e SecurityEvent) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("store: security event: %w", err)
		}
	}
	if e.Actor == "" {
		e.Actor = "-"
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO security_events (at, kind, severity, client_ip, actor, details) VALUES (?, ?, ?, ?, ?, ?)",
		nanos(e.At), e.Kind, e.Severity, e.ClientIP, e.Actor, string(details))
	if err != nil {
		return fmt.Errorf("store: security event: %w", err)
	}
	return nil
}
