package store_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"testing"
	"time"

	"safedesk/store"
)

func TestClientID(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	} {
		got := store.ClientID(netip.MustParseAddr(tt.in))
		if got != tt.want {
			t.Errorf("ClientID(%s) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := store.ParseClientID(got)
		if err != nil || store.ClientID(back) != got {
			t.Errorf("ParseClientID(%q) = %v, %v; not a round trip", got, back, err)
		}
	}
	if store.ClientID(netip.Addr{}) != "" {
		t.Error("the zero address has a client")
	}
	for _, bad := range []string{"", "nonsense", "2001:db8::/48", "10.0.0.0/8", "2001:db8::1"} {
		if _, err := store.ParseClientID(bad); err == nil {
			t.Errorf("ParseClientID(%q) accepted", bad)
		}
	}
}

// staffSession enrols a staff member and signs them in from ip; it
// returns the staff id and the session token.
func staffSession(t *testing.T, db *store.DB, email, ip string) (int64, string) {
	t.Helper()
	ctx := context.Background()
	link, err := db.CreateInvite(ctx, email, "agent", 0, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	handle := make([]byte, 32)
	rand.Read(handle)
	cred := make([]byte, 16)
	rand.Read(cred)
	st, err := db.EnrollStaff(ctx, "invite", link, store.Enrollment{Name: "Agent", Email: email, UserHandle: handle,
		Passkey: store.NewPasskey{CredentialID: cred, Name: "key", Credential: []byte("{}")}}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	token := rand.Text()
	if err := db.Sessions().Commit(token, []byte("data"), db.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	sess := store.StaffSession{TokenHash: store.TokenHash(token), StaffID: st.ID, Device: "test", ClientIP: ip}
	if _, err := db.StartStaffSession(ctx, sess, store.SessionsBlock, time.Hour, time.Hour, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	return st.ID, token
}

// customerSession stores a session bound to client and returns its token.
func customerSession(t *testing.T, db *store.DB, client string) string {
	t.Helper()
	token := rand.Text()
	if err := db.Sessions().Commit(token, []byte("data"), db.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.BindSessionClient(context.Background(), store.TokenHash(token), client); err != nil {
		t.Fatal(err)
	}
	return token
}

func sessionLives(t *testing.T, db *store.DB, token string) bool {
	t.Helper()
	_, ok, err := db.Sessions().Find(token)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestBlocks(t *testing.T) {
	ctx := context.Background()

	t.Run("a block ends the client's customer sessions and records its staff sessions in one audited transaction", func(t *testing.T) {
		db, clk := newTestDB(t)
		bad, good := "203.0.113.9", "198.51.100.4"
		staffBad, tokStaffBad := staffSession(t, db, "a@example.com", bad)
		_, tokStaffGood := staffSession(t, db, "b@example.com", good)
		tokCustBad := customerSession(t, db, bad)
		tokCustGood := customerSession(t, db, good)
		until := clk.Now().Add(5 * time.Minute)

		res, err := db.SaveBlock(ctx, store.Block{Client: bad, Until: until, Level: 2, Reason: "probe: .env"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if res.StaffSessions != 1 || res.CustomerSessions != 1 {
			t.Fatalf("got %+v, want one of each", res)
		}
		if sessionLives(t, db, tokCustBad) {
			t.Error("the customer session of the blocked client lives on")
		}
		// Anyone behind the same address could otherwise sign the staff out.
		if !sessionLives(t, db, tokStaffBad) {
			t.Error("a block ended a passkey-authenticated staff session")
		}
		if !sessionLives(t, db, tokStaffGood) || !sessionLives(t, db, tokCustGood) {
			t.Error("a session of another client ended")
		}
		if s, err := db.GetStaffSession(ctx, store.TokenHash(tokStaffBad)); err != nil || !s.Live() {
			t.Errorf("staff session %+v, %v: want it live", s, err)
		}
		kept, _ := db.ListSecurityEvents(ctx, store.EventFilter{Kind: "abuse.staff_kept"})
		if len(kept) != 1 || kept[0].ClientIP != bad || kept[0].Severity != store.SeverityWarning {
			t.Errorf("staff kept events %+v, want one warning about %s", kept, bad)
		}
		if n := countRows(t, db, "session_clients"); n != 1 {
			t.Errorf("%d session_clients rows, want the other client's only", n)
		}
		es, _ := db.ListAudit(ctx, store.AuditFilter{Action: "security.blocked"})
		if len(es) != 1 || es[0].Target != "client:"+db.ClientPseudonym(bad) || es[0].Actor.Type != store.ActorSystem || es[0].Actor.ClientIP != db.ClientPseudonym(bad) ||
			es[0].Details["reason"] != "probe: .env" || es[0].Details["staff_sessions_kept"] != 1.0 {
			t.Errorf("audit %+v", es)
		}
		if ids, _ := es[0].Details["staff"].([]any); len(ids) != 1 || ids[0] != float64(staffBad) {
			t.Errorf("audit names staff %v, want [%d]", es[0].Details["staff"], staffBad)
		}
		evs, _ := db.ListSecurityEvents(ctx, store.EventFilter{Kind: "abuse.blocked"})
		if len(evs) != 1 || evs[0].Severity != store.SeverityCritical || evs[0].ClientIP != bad {
			t.Errorf("events %+v", evs)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})

	t.Run("an IPv6 block covers the client's /64", func(t *testing.T) {
		db, clk := newTestDB(t)
		inside, _ := staffSession(t, db, "c@example.com", "2001:db8:1:2::77")
		staffSession(t, db, "d@example.com", "2001:db8:1:3::77")
		client := store.ClientID(netip.MustParseAddr("2001:db8:1:2::5"))
		tok, other := customerSession(t, db, client), customerSession(t, db, store.ClientID(netip.MustParseAddr("2001:db8:1:3::78")))
		if _, err := db.SaveBlock(ctx, store.Block{Client: client, Until: clk.Now().Add(time.Minute), Reason: "x"}, true); err != nil {
			t.Fatal(err)
		}
		if sessionLives(t, db, tok) || !sessionLives(t, db, other) {
			t.Error("the /64 block did not end exactly the sessions within it")
		}
		kept, _ := db.ListSecurityEvents(ctx, store.EventFilter{Kind: "abuse.staff_kept"})
		if len(kept) != 1 {
			t.Fatalf("staff kept events %+v, want one", kept)
		}
		if ids, _ := kept[0].Details["staff"].([]any); len(ids) != 1 || ids[0] != float64(inside) {
			t.Errorf("staff kept events %+v, want staff %d only", kept, inside)
		}
	})

	t.Run("blocks are listed while in force, expire and can be lifted once", func(t *testing.T) {
		db, clk := newTestDB(t)
		owner := store.Actor{Type: store.ActorStaff, ID: "1", ClientIP: "198.51.100.1"}
		for _, b := range []store.Block{
			{Client: "203.0.113.1", Until: clk.Now().Add(time.Minute), Level: 1, Reason: "short"},
			{Client: "203.0.113.2", Until: clk.Now().Add(time.Hour), Level: 3, Reason: "long"},
		} {
			if _, err := db.SaveBlock(ctx, b, false); err != nil {
				t.Fatal(err)
			}
		}
		if bs, _ := db.ActiveBlocks(ctx); len(bs) != 2 || bs[0].Client != "203.0.113.2" || bs[0].Level != 3 || !bs[0].Active(clk.Now()) {
			t.Fatalf("active %+v", bs)
		}
		clk.Advance(2 * time.Minute)
		if bs, _ := db.ActiveBlocks(ctx); len(bs) != 1 || bs[0].Client != "203.0.113.2" {
			t.Fatalf("after expiry %+v", bs)
		}
		if err := db.LiftBlock(ctx, "203.0.113.1", owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("lifting an expired block: %v, want ErrNotFound", err)
		}
		if err := db.LiftBlock(ctx, "203.0.113.2", owner); err != nil {
			t.Fatal(err)
		}
		if bs, _ := db.ActiveBlocks(ctx); len(bs) != 0 {
			t.Fatalf("after lifting %+v", bs)
		}
		if err := db.LiftBlock(ctx, "203.0.113.2", owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("lifting twice: %v, want ErrNotFound", err)
		}
		es, _ := db.ListAudit(ctx, store.AuditFilter{Action: "security.block_lifted"})
		if len(es) != 1 || es[0].Actor != pseudonymous(db, owner) || es[0].Target != "client:"+db.ClientPseudonym("203.0.113.2") {
			t.Errorf("audit %+v", es)
		}
		// A new block of a lifted client is in force again.
		if _, err := db.SaveBlock(ctx, store.Block{Client: "203.0.113.2", Until: clk.Now().Add(time.Hour), Level: 4, Reason: "again"}, false); err != nil {
			t.Fatal(err)
		}
		if bs, _ := db.ActiveBlocks(ctx); len(bs) != 1 || bs[0].Reason != "again" || !bs[0].LiftedAt.IsZero() {
			t.Fatalf("re-blocked %+v", bs)
		}
	})

	t.Run("a block of something that is no client is refused", func(t *testing.T) {
		db, clk := newTestDB(t)
		if _, err := db.SaveBlock(ctx, store.Block{Client: "0.0.0.0/0", Until: clk.Now().Add(time.Hour)}, true); err == nil {
			t.Fatal("a block of every address was stored")
		}
	})

	t.Run("session client records go with their session", func(t *testing.T) {
		db, clk := newTestDB(t)
		tok := customerSession(t, db, "203.0.113.5")
		if err := db.Sessions().Delete(tok); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "session_clients"); n != 0 {
			t.Fatalf("%d rows after the session was deleted", n)
		}
		// A binding whose session never got stored is pruned once old.
		if err := db.BindSessionClient(ctx, store.TokenHash("never-committed"), "203.0.113.5"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Hour)
		if err := db.PruneSecurityData(ctx, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "session_clients"); n != 0 {
			t.Fatalf("%d orphan rows after pruning", n)
		}
	})
}

func TestRecordAuthFailure(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	visitor := store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: "203.0.113.8"}
	ev := store.SecurityEvent{Kind: "passkey.unknown_credential", ClientIP: "203.0.113.8", Details: map[string]any{"reason": "x"}}
	if err := db.RecordAuthFailure(ctx, ev, visitor, "staff.sign_in_failed", "-"); err != nil {
		t.Fatal(err)
	}
	es, _ := db.ListAudit(ctx, store.AuditFilter{Action: "staff.sign_in_failed"})
	if len(es) != 1 || es[0].Actor != pseudonymous(db, visitor) || es[0].Details["kind"] != "passkey.unknown_credential" || es[0].Details["reason"] != "x" {
		t.Fatalf("audit %+v", es)
	}
	evs, _ := db.ListSecurityEvents(ctx, store.EventFilter{Kind: "passkey.unknown_credential"})
	if len(evs) != 1 || evs[0].Severity != store.SeverityWarning {
		t.Fatalf("events %+v", evs)
	}

	t.Run("both or neither", func(t *testing.T) {
		if _, err := db.Writer().ExecContext(ctx, `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
			BEGIN SELECT RAISE(ABORT, 'forced failure'); END`); err != nil {
			t.Fatal(err)
		}
		before := tableCounts(t, db)
		if err := db.RecordAuthFailure(ctx, ev, visitor, "staff.sign_in_failed", "-"); err == nil {
			t.Fatal("no error")
		}
		assertSameCounts(t, before, tableCounts(t, db))
	})
}

func TestStaffSessionEndsAreAudited(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	id, token := staffSession(t, db, "e@example.com", "198.51.100.9")
	renewed := rand.Text()
	if err := db.RekeyStaffSession(ctx, store.TokenHash(token), store.TokenHash(renewed)); err != nil {
		t.Fatal(err)
	}
	if err := db.EndStaffSession(ctx, store.TokenHash(renewed), "signed out"); err != nil {
		t.Fatal(err)
	}
	if err := db.EndStaffSession(ctx, store.TokenHash(renewed), "signed out"); err != nil {
		t.Fatal(err)
	}
	up, _ := db.ListAudit(ctx, store.AuditFilter{Action: "staff.stepped_up"})
	ended, _ := db.ListAudit(ctx, store.AuditFilter{Action: "session.ended"})
	if len(up) != 1 || up[0].Target != store.StaffTarget(id) || up[0].Actor.ClientIP != db.ClientPseudonym("198.51.100.9") {
		t.Errorf("step-up audit %+v", up)
	}
	if len(ended) != 1 || ended[0].Actor.Type != store.ActorStaff || ended[0].Details["reason"] != "signed out" {
		t.Errorf("sign-out audit %+v (want exactly one: the second end changes nothing)", ended)
	}
}

func TestSecurityStats(t *testing.T) {
	ctx := context.Background()
	db, clk := newTestDB(t)
	m := clk.Now().Unix() / 60
	if err := db.AddTraffic(ctx, []store.TrafficMinute{{Minute: m, Requests: 10, ClientErrors: 2}, {Minute: m - 1, Requests: 5, Blocked: 5}}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddTraffic(ctx, []store.TrafficMinute{{Minute: m, Requests: 1, Limited: 1}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.ListTraffic(ctx, clk.Now().Add(-time.Hour))
	if err != nil || len(got) != 2 || got[1] != (store.TrafficMinute{Minute: m, Requests: 11, ClientErrors: 2, Limited: 1}) {
		t.Fatalf("traffic %+v, %v", got, err)
	}
	for i, kind := range []string{"abuse.probe", "abuse.probe", "abuse.blocked"} {
		sev := store.SeverityWarning
		if i == 2 {
			sev = store.SeverityCritical
		}
		if err := db.RecordSecurityEvent(ctx, store.SecurityEvent{Kind: kind, Severity: sev, ClientIP: "203.0.113.1"}); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := db.CountSecurityEvents(ctx, clk.Now().Add(-time.Hour), time.Hour)
	if err != nil || len(counts) != 2 || counts[1].Kind != "abuse.probe" || counts[1].N != 2 {
		t.Fatalf("counts %+v, %v", counts, err)
	}
	crit, err := db.CriticalEventsAfter(ctx, 0, 10)
	if err != nil || len(crit) != 1 || crit[0].Kind != "abuse.blocked" {
		t.Fatalf("critical %+v, %v", crit, err)
	}
	if last, _ := db.LastSecurityEventID(ctx); last != crit[0].ID {
		t.Errorf("last id %d, want %d", last, crit[0].ID)
	}
	clk.Advance(10 * 24 * time.Hour)
	if err := db.PruneSecurityData(ctx, 8*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, "traffic_minutes"); n != 0 {
		t.Errorf("%d old traffic rows kept", n)
	}
}
