package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"slices"
	"time"

	"safedesk/security"
)

func BenchmarkTmpSteps(b *testing.B) {
	ring, _ := security.NewKeyring(security.NewDataKey())
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "x.db"), ring, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	emails := make([]string, 16)
	for i := range emails {
		emails[i] = fmt.Sprintf("customer%02d@example.com", i)
		db.CreateTicket(ctx, NewTicket{Email: emails[i], Name: "R", Subject: "First", Body: "First"}, SystemActor)
	}
	body := strings.Repeat("Hello my order arrived damaged. ", 13)
	var d [10]time.Duration
	var cs []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		nt := NewTicket{Email: emails[i%16], Name: "R", Subject: "Grinder arrived damaged", Body: body}
		nt.Validate()
		t1 := time.Now()
		d[0] += t1.Sub(t0)
		tx, _ := db.write.BeginTx(ctx, nil)
		t2 := time.Now()
		d[1] += t2.Sub(t1)
		cid, key, _, _ := db.findOrCreateCustomer(ctx, tx, nt.Email, nt.Name)
		t3 := time.Now()
		d[2] += t3.Sub(t2)
		var tid, mid int64
		tx.StmtContext(ctx, db.stmts.ticketMessageIDs).QueryRowContext(ctx).Scan(&tid, &mid)
		t4 := time.Now()
		d[3] += t4.Sub(t3)
		now := time.Now()
		_, err := tx.StmtContext(ctx, db.stmts.insertTicket).ExecContext(ctx, tid, cid, key.SealString(nt.Subject, ticketLoc(tid)), nanos(now), nanos(now))
		if err != nil {
			b.Fatal(err)
		}
		t5 := time.Now()
		d[4] += t5.Sub(t4)
		db.insertMessage(ctx, tx, key, Message{ID: mid, TicketID: tid, AuthorType: "customer", AuthorID: cid, Body: nt.Body})
		t6 := time.Now()
		d[5] += t6.Sub(t5)
		if err := db.appendAudit(ctx, tx, SystemActor, "ticket.created", TicketTarget(tid), map[string]any{"customer": cid}); err != nil {
			b.Fatal(err)
		}
		t7 := time.Now()
		d[6] += t7.Sub(t6)
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		d[7] += time.Since(t7)
		cs = append(cs, time.Since(t7))
		i++
	}
	names := []string{"validate", "begin", "customer", "ids", "insTicket", "insMessage", "audit", "commit"}
	for k, n := range names {
		b.ReportMetric(float64(d[k].Microseconds())/float64(i), n+"-us")
	}
	_ = sql.ErrNoRows
	slices.Sort(cs)
	var over time.Duration
	for _, c := range cs { if c > cs[len(cs)/2]*4 { over += c } }
	b.ReportMetric(float64(cs[len(cs)/2].Microseconds()), "commitP50-us")
	b.ReportMetric(float64(cs[len(cs)*99/100].Microseconds()), "commitP99-us")
	b.ReportMetric(float64(over.Microseconds())/float64(len(cs)), "commitOutlierShare-us")
}
