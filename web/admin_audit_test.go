package web

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
)

var auditRowRe = regexp.MustCompile(`<tr data-testid="audit-row"><td>(\d+)</td>`)

// auditSeqs lists the seqs on a viewer page, in page order.
func auditSeqs(body string) []int64 {
	var out []int64
	for _, m := range auditRowRe.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

func TestAuditViewer(t *testing.T) {
	env := newTestServer(t)
	owner, device := env.owner()
	auditor, _, _ := env.member(security.RoleAuditor, "auditor@northwind.example")
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	ctx := context.Background()
	for i := range 60 {
		a := store.Actor{Type: store.ActorStaff, ID: "42", ClientIP: "198.51.100.9"}
		if err := env.db.RecordAudit(ctx, a, "test.viewed", "ticket:"+strconv.Itoa(i), map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	env.db.RecordAudit(ctx, store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: "203.0.113.5"}, "staff.sign_in_failed", "-", nil)
	head := int64(countAudit(t, env))

	t.Run("roles", func(t *testing.T) {
		for _, c := range []*client{owner, auditor} {
			if r := c.get("/admin/audit"); r.status != http.StatusOK {
				t.Errorf("status %d", r.status)
			}
		}
		if r := agent.get("/admin/audit"); r.status != http.StatusForbidden {
			t.Errorf("agent: %d", r.status)
		}
	})

	t.Run("newest first, paged by seq", func(t *testing.T) {
		r := auditor.get("/admin/audit")
		seqs := auditSeqs(r.body)
		if len(seqs) != auditPageSize || seqs[0] != head || seqs[1] != head-1 {
			t.Fatalf("first page: %d rows from %v, want %d from %d", len(seqs), seqs[:min(3, len(seqs))], auditPageSize, head)
		}
		older := regexp.MustCompile(`href="([^"]+)" data-testid="older"`).FindStringSubmatch(r.body)
		if older == nil {
			t.Fatal("no link to older entries")
		}
		next := auditor.get(strings.ReplaceAll(older[1], "&amp;", "&"))
		seqs2 := auditSeqs(next.body)
		if len(seqs2) == 0 || seqs2[0] != seqs[len(seqs)-1]-1 {
			t.Fatalf("second page starts at %v, want %d", seqs2, seqs[len(seqs)-1]-1)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			name, query string
			want        int
		}{
			{"action", "action=staff.sign_in_failed", 1},
			{"action prefix", "action=test.*", auditPageSize},
			{"actor type", "actor=visitor", 1},
			{"actor type and id", "actor=staff:42&target=ticket:7", 1},
			{"target prefix", "target=ticket:1*&actor=staff:42", 11},
			{"time window excludes everything", "from=2001-01-01T00:00&to=2001-01-02T00:00", 0},
		} {
			r := auditor.get("/admin/audit?" + tt.query)
			if got := len(auditSeqs(r.body)); r.status != http.StatusOK || got != tt.want {
				t.Errorf("%s: %d, %d rows, want %d", tt.name, r.status, got, tt.want)
			}
		}
		now := env.clock.Now().UTC()
		q := url.Values{"from": {now.Add(-time.Hour).Format("2006-01-02T15:04")}, "to": {now.Format("2006-01-02T15:04")}, "actor": {"visitor"}}
		if got := len(auditSeqs(auditor.get("/admin/audit?" + q.Encode()).body)); got != 1 {
			t.Errorf("time window: %d rows, want 1", got)
		}
	})

	t.Run("a bad filter is explained, not run", func(t *testing.T) {
		for _, q := range []string{"actor=robot", "action=DROP%20TABLE", "from=yesterday", "from=2026-01-02T00:00&to=2026-01-01T00:00", "target=a*b"} {
			r := auditor.get("/admin/audit?" + q)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-testid="audit-errors"`) {
				t.Errorf("%s: %d", q, r.status)
			}
		}
	})

	t.Run("CSV export needs a fresh passkey, is audited and can be re-hashed", func(t *testing.T) {
		env.clock.advance(StepUpWindow + time.Minute)
		form := url.Values{"action": {"test.*"}}
		if r := owner.post("/admin/audit/export", form); r.status != http.StatusUnauthorized || !strings.Contains(r.body, `data-testid="stepup"`) {
			t.Fatalf("export without a step-up: %d", r.status)
		}
		env.stepUp(owner, device)
		r := owner.post("/admin/audit/export", form)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", r.status, r.header)
		}
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 61 || rows[0][0] != "seq" || rows[1][6] != "test.viewed" {
			t.Fatalf("%d rows, first %v", len(rows), rows[:2])
		}
		for _, row := range rows[1:] {
			seq, _ := strconv.ParseInt(row[0], 10, 64)
			at, _ := strconv.ParseInt(row[2], 10, 64)
			prev, _ := hex.DecodeString(row[9])
			rec := security.AuditRecord{Seq: seq, At: time.Unix(0, at), ActorType: row[3], ActorID: row[4], ClientIP: row[5],
				Action: row[6], Target: row[7], Details: []byte(row[8]), PrevHash: prev}
			if hex.EncodeToString(security.HashAuditRecord(rec)) != row[10] {
				t.Fatalf("row %d does not hash to its hash column", seq)
			}
		}
		es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "audit.exported"})
		if len(es) != 1 || es[0].Actor.Type != store.ActorStaff || es[0].Details["action"] != "test.*" {
			t.Errorf("export audit %+v", es)
		}
	})
}

func countAudit(t *testing.T, env *testEnv) int {
	t.Helper()
	var n int
	if err := storetest.Raw(t, env.db).QueryRow("SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCSVCell(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"-", "-"}, {"ticket:1", "ticket:1"}, {"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"+1", "'+1"}, {"@SUM(A1)", "'@SUM(A1)"}, {"-2+3", "'-2+3"}, {"\tx", "'\tx"},
	} {
		if got := csvCell(tt.in); got != tt.want {
			t.Errorf("csvCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
