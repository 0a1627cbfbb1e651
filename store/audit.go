package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"safedesk/security"
)

// Actor types recorded in the audit log.
const (
	ActorSystem   = "system"
	ActorCustomer = "customer"
	ActorStaff    = "staff"
	ActorVisitor  = "visitor"
	ActorToken    = "token"
)

// Actor is who did something: a type and an id (never an email address),
// and the client it came from. ClientIP is the client's address as the
// caller knows it; the audit log keeps only its ClientPseudonym, and an
// entry read back carries that in ClientIP (entries written before
// pseudonyms existed carry the address itself).
type Actor struct {
	Type     string
	ID       string
	ClientIP string
}

// SystemActor is the server itself (migrations, schedules, the command line).
var SystemActor = Actor{Type: ActorSystem, ID: "safedesk"}

// AuditEntry is one row of the audit log as read back.
type AuditEntry struct {
	Seq        int64
	At         time.Time
	Actor      Actor
	Action     string
	Target     string
	Details    map[string]any
	RawDetails []byte // the details exactly as stored and hashed
	PrevHash   []byte
	Hash       []byte
}

// appendAudit writes one audit entry inside tx, chained to the entry before
// it. Details must hold no personal data in the clear: refer to customers by
// id. Because it runs in the caller's transaction, the entry exists exactly
// when the change it records does.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, a Actor, action, target string, details map[string]any) error {
	var detailBytes []byte
	if len(details) > 0 {
		b, err := json.Marshal(details)
		if err != nil {
			return fmt.Errorf("store: audit details: %w", err)
		}
		detailBytes = b
	}
	var prevSeq int64
	var prevHash []byte
	// The head is read inside tx every time, never cached: another process
	// (the command line) may have appended since.
	err := tx.StmtContext(ctx, db.stmts.auditHead).QueryRowContext(ctx).Scan(&prevSeq, &prevHash)
	if errors.Is(err, sql.ErrNoRows) {
		prevHash = security.GenesisHash()
	} else if err != nil {
		return fmt.Errorf("store: audit head: %w", err)
	}
	rec := security.AuditRecord{
		Seq: prevSeq + 1, At: db.now().UTC(),
		ActorType: a.Type, ActorID: a.ID, Action: action, Target: db.auditTarget(target), ClientIP: db.ClientPseudonym(a.ClientIP),
		Details: detailBytes, PrevHash: prevHash,
	}
	hash := security.HashAuditRecord(rec)
	_, err = tx.StmtContext(ctx, db.stmts.auditInsert).ExecContext(ctx,
		rec.Seq, nanos(rec.At), rec.ActorType, rec.ActorID, rec.Action, rec.Target, rec.ClientIP,
		detailBytes, rec.PrevHash, hash)
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// pseudonymPrefix starts every client pseudonym.
const pseudonymPrefix = "ip-"

// ClientPseudonym is how the audit log names a client: "ip-" and 16 hex
// digits of an HMAC-SHA-256, under the client-pseudonym key (a wrapped
// system key like the blind index's), of the client (store.ClientID: an
// IPv4 address or an IPv6 /64), or of the text when it is no address.
// Entries of one client carry one pseudonym, so they can still be grouped;
// the address itself lives only in security events, which retention
// deletes, and without the key a pseudonym cannot be tested against an
// address. "" stays "", and a pseudonym stays as it is.
func (db *DB) ClientPseudonym(client string) string {
	if client == "" || IsClientPseudonym(client) {
		return client
	}
	if id := clientOfIP(client); id != "" {
		client = id
	}
	sum := db.pseudonyms.Hash("client-pseudonym", []byte(client))
	return pseudonymPrefix + hex.EncodeToString(sum[:8])
}

// IsClientPseudonym reports whether s has the form of a ClientPseudonym.
func IsClientPseudonym(s string) bool {
	h, ok := strings.CutPrefix(s, pseudonymPrefix)
	if !ok || len(h) != 16 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// auditTarget is target as the audit log keeps it: a client address
// ("client:203.0.113.5", the target of blocks and lifts) becomes its
// ClientPseudonym; anything else (an OAuth client is "client:17") stays.
func (db *DB) auditTarget(target string) string {
	c, ok := strings.CutPrefix(target, "client:")
	if !ok {
		return target
	}
	if _, err := ParseClientID(c); err != nil && clientOfIP(c) == "" {
		return target
	}
	return "client:" + db.ClientPseudonym(c)
}

// RecordAudit appends an entry that records no other change (a sign-in
// failure, a PII reveal, an export).
func (db *DB) RecordAudit(ctx context.Context, a Actor, action, target string, details map[string]any) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		return db.appendAudit(ctx, tx, a, action, target, details)
	})
}

// AuditFilter narrows ListAudit and ExportAudit. Zero fields match
// everything. Action and Target match exactly, or as a prefix when they end
// in "*" ("staff.*", "ticket:*").
type AuditFilter struct {
	After     int64 // only entries with seq > After
	Before    int64 // only entries with seq < Before
	Action    string
	ActorType string
	ActorID   string
	Target    string
	Since     time.Time // only entries at or after Since
	Until     time.Time // only entries before Until
	Newest    bool      // newest first instead of in seq order
	Limit     int       // ListAudit: 1 to 1000, 100 when out of range
}

// where returns the filter's SQL condition and its arguments.
func (f AuditFilter) where() (string, []any) {
	conds := []string{"seq > ?"}
	args := []any{f.After}
	if f.Before > 0 {
		conds, args = append(conds, "seq < ?"), append(args, f.Before)
	}
	match := func(col, v string) {
		if v == "" {
			return
		}
		if prefix, ok := strings.CutSuffix(v, "*"); ok {
			conds = append(conds, col+` LIKE ? ESCAPE '\'`)
			args = append(args, likeEscaper.Replace(prefix)+"%")
			return
		}
		conds, args = append(conds, col+" = ?"), append(args, v)
	}
	match("action", f.Action)
	match("target", f.Target)
	match("actor_type", f.ActorType)
	match("actor_id", f.ActorID)
	if !f.Since.IsZero() {
		conds, args = append(conds, "at >= ?"), append(args, nanos(f.Since))
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, "at < ?"), append(args, nanos(f.Until))
	}
	return strings.Join(conds, " AND "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

const auditColumns = "seq, at, actor_type, actor_id, action, target, client_ip, details, prev_hash, hash"

func scanAuditEntry(rows *sql.Rows) (AuditEntry, error) {
	var e AuditEntry
	var at int64
	if err := rows.Scan(&e.Seq, &at, &e.Actor.Type, &e.Actor.ID, &e.Action, &e.Target, &e.Actor.ClientIP, &e.RawDetails, &e.PrevHash, &e.Hash); err != nil {
		return AuditEntry{}, err
	}
	e.At = fromNanos(at)
	if len(e.RawDetails) > 0 {
		// Details are only ever written by json.Marshal: text that does not
		// parse was changed behind the store's back.
		if err := json.Unmarshal(e.RawDetails, &e.Details); err != nil {
			return AuditEntry{}, fmt.Errorf("entry %d: details: %w", e.Seq, err)
		}
	}
	return e, nil
}

// ListAudit returns at most f.Limit entries matching f, in seq order or,
// with f.Newest, newest first.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var out []AuditEntry
	err := db.queryAudit(ctx, f, f.Limit, func(e AuditEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// ExportAudit calls fn for every entry matching f, in the order ListAudit
// would return them, without holding them all in memory. f.Limit is ignored.
func (db *DB) ExportAudit(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error {
	return db.queryAudit(ctx, f, -1, fn)
}

// query returns the SQL of f with its arguments, for at most limit entries
// (-1: all). It walks the log by seq, which is its only index.
func (f AuditFilter) query(limit int) (string, []any) {
	where, args := f.where()
	order := "seq"
	if f.Newest {
		order = "seq DESC"
	}
	return "SELECT " + auditColumns + " FROM audit_log WHERE " + where + " ORDER BY " + order + " LIMIT ?", append(args, limit)
}

func (db *DB) queryAudit(ctx context.Context, f AuditFilter, limit int, fn func(AuditEntry) error) error {
	q, args := f.query(limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAuditEntry(rows)
		if err != nil {
			return fmt.Errorf("store: list audit: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list audit: %w", err)
	}
	return nil
}

// VerifyAudit recomputes the hash chain over the whole log and returns the
// number of entries, or an error naming the first bad seq. It does not look
// at checkpoints; VerifyAuditLog does.
func (db *DB) VerifyAudit(ctx context.Context) (int64, error) {
	return db.verifyChain(ctx, security.NewChainVerifier())
}

// verifyChain feeds every entry to v in seq order and returns how many it
// accepted, with v's verdict.
func (db *DB) verifyChain(ctx context.Context, v *security.ChainVerifier) (int64, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_log ORDER BY seq")
	if err != nil {
		return 0, fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		r, hash, err := scanAuditRecord(rows)
		if err != nil {
			return n, fmt.Errorf("store: verify audit: %w", err)
		}
		if err := v.Add(r, hash); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("store: verify audit: %w", err)
	}
	return n, v.Finish()
}

// scanAuditRecord reads a row of auditColumns as it is hashed.
func scanAuditRecord(rows *sql.Rows) (security.AuditRecord, []byte, error) {
	var r security.AuditRecord
	var at int64
	var hash []byte
	err := rows.Scan(&r.Seq, &at, &r.ActorType, &r.ActorID, &r.Action, &r.Target, &r.ClientIP, &r.Details, &r.PrevHash, &hash)
	r.At = fromNanos(at)
	return r, hash, err
}
