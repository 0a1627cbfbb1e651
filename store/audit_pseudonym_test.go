package store_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// pseudonymous is a as an audit entry read back names it.
func pseudonymous(db *store.DB, a store.Actor) store.Actor {
	a.ClientIP = db.ClientPseudonym(a.ClientIP)
	return a
}

var pseudonymRe = regexp.MustCompile(`^ip-[0-9a-f]{16}$`)

// TestAuditKeepsNoClientAddress (issue 12, item 9): new audit entries name
// the client by a keyed pseudonym, never by its address (the actor's, or a
// blocked client's as target), while the security events keep the address
// under their retention; entries written with an address before keep it
// and the chain over them still verifies.
func TestAuditKeepsNoClientAddress(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := context.Background()

	// An entry as earlier releases wrote it, with the address itself.
	old := security.AuditRecord{Seq: 1, At: clk.Now().UTC(), ActorType: store.ActorVisitor, ActorID: "-", Action: "test.before",
		Target: "-", ClientIP: "198.51.100.77", PrevHash: security.GenesisHash()}
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor_type, actor_id, action, target, client_ip, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`, old.Seq, old.At.UnixNano(), old.ActorType, old.ActorID, old.Action, old.Target,
		old.ClientIP, old.PrevHash, security.HashAuditRecord(old)); err != nil {
		t.Fatal(err)
	}

	const ip4, ip6, ip6same, other = "203.0.113.7", "2001:db8:1:2::10", "2001:db8:1:2::99", "203.0.113.8"
	for _, ip := range []string{ip4, ip6, ip6same, other} {
		if err := db.RecordAudit(ctx, store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: ip}, "test.after", "-", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SaveBlock(ctx, store.Block{Client: ip4, Until: clk.Now().Add(time.Hour), Reason: "probe: .env"}, true); err != nil {
		t.Fatal(err)
	}

	es, err := db.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(es) != 6 {
		t.Fatalf("%d entries, %v", len(es), err)
	}
	if es[0].Actor.ClientIP != "198.51.100.77" {
		t.Errorf("the earlier entry now names %q: history was rewritten", es[0].Actor.ClientIP)
	}
	p4, p6, p6same, pOther := es[1].Actor.ClientIP, es[2].Actor.ClientIP, es[3].Actor.ClientIP, es[4].Actor.ClientIP
	for _, p := range []string{p4, p6, pOther} {
		if !pseudonymRe.MatchString(p) || !store.IsClientPseudonym(p) {
			t.Errorf("client %q is not a pseudonym", p)
		}
	}
	if p4 == pOther || p4 == p6 || p6 != p6same {
		t.Errorf("pseudonyms %s %s %s %s: want one per client (an IPv4 address, an IPv6 /64)", p4, p6, p6same, pOther)
	}
	if blocked := es[5]; blocked.Target != "client:"+p4 || blocked.Actor.ClientIP != p4 {
		t.Errorf("the block names %q as %q", blocked.Target, blocked.Actor.ClientIP)
	}
	if db.ClientPseudonym(ip4) != p4 || db.ClientPseudonym(p4) != p4 || db.ClientPseudonym("") != "" {
		t.Error("ClientPseudonym is not stable")
	}

	dump := dumpTable(t, db, "audit_log")
	for _, ip := range []string{ip4, "2001:db8:1:2", other} {
		if strings.Contains(dump, ip) {
			t.Errorf("the audit log holds the address %s", ip)
		}
	}
	if evs, _ := db.ListSecurityEvents(ctx, store.EventFilter{Kind: "abuse.blocked"}); len(evs) != 1 || evs[0].ClientIP != ip4 {
		t.Errorf("the security event does not keep the address: %+v", evs)
	}
	if n, err := db.VerifyAudit(ctx); err != nil || n != 6 {
		t.Errorf("VerifyAudit = %d, %v", n, err)
	}

	another, _ := newTestDB(t)
	if another.ClientPseudonym(ip4) == p4 {
		t.Error("two databases give an address the same pseudonym: it is not keyed")
	}
}

// dumpTable is every value of every row of table as text.
func dumpTable(t *testing.T, db *store.DB, table string) string {
	t.Helper()
	return dumpQuery(t, db, "SELECT * FROM "+table)
}

// dumpQuery is every value of every row of query as text: each value
// followed by "|", each row by a new line.
func dumpQuery(t *testing.T, db *store.DB, query string) string {
	t.Helper()
	rows, err := db.Writer().Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprint(&b, v, "|")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
