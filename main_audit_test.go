package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// auditData makes a data folder with n audit entries and, with
// checkpoint, a signed checkpoint of them; it returns the folder and the
// head seq.
func auditData(t *testing.T, n int, checkpoint bool) (string, int64) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := openStore(ctx, dir, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range n {
		if err := db.RecordAudit(ctx, store.SystemActor, "test.entry", "test:"+strconv.Itoa(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	var head int64
	db.Writer().QueryRow("SELECT MAX(seq) FROM audit_log").Scan(&head)
	if checkpoint {
		key, err := auditSigningKey(Config{Data: dir})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Checkpoint(ctx, key, store.CheckpointShutdown); err != nil {
			t.Fatal(err)
		}
	}
	return dir, head
}

// tamper runs SQL on the database file through a second connection.
func tamper(t *testing.T, dir, query string, args ...any) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "safedesk.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func auditVerify(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"audit", "verify"}, args...), &out, &bytes.Buffer{})
	return out.String(), err
}

func TestAuditVerifyCommand(t *testing.T) {
	t.Run("an intact log: exit 0 with the count", func(t *testing.T) {
		dir, head := auditData(t, 5, true)
		out, err := auditVerify(t, "--data", dir)
		if err != nil {
			t.Fatal(err)
		}
		want := "audit log intact: " + strconv.FormatInt(head, 10) + " entries"
		if !strings.HasPrefix(out, want) || !strings.Contains(out, "1 signed checkpoints verified") {
			t.Fatalf("output %q, want it to start %q and name the checkpoint", out, want)
		}
	})

	t.Run("an edited entry is named", func(t *testing.T) {
		dir, _ := auditData(t, 5, true)
		tamper(t, dir, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'test:x' WHERE seq = 3")
		out, err := auditVerify(t, "--data", dir)
		if err == nil || !strings.Contains(err.Error(), "seq 3") || !strings.Contains(out, "BROKEN at seq 3") {
			t.Fatalf("got %v, %q; want a failure naming seq 3", err, out)
		}
	})

	t.Run("entries cut off after a checkpoint are detected", func(t *testing.T) {
		dir, head := auditData(t, 5, true)
		tamper(t, dir, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = ?", head)
		_, err := auditVerify(t, "--data", dir)
		if err == nil || !strings.Contains(err.Error(), "seq "+strconv.FormatInt(head, 10)) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("got %v, want truncation at seq %d", err, head)
		}
	})

	t.Run("checkpoints need the key, which may be given as a public key", func(t *testing.T) {
		dir, _ := auditData(t, 3, true)
		var pub bytes.Buffer
		if err := run(context.Background(), []string{"audit", "public-key", "--data", dir}, &pub, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		pubFile := filepath.Join(t.TempDir(), "audit.pub")
		os.WriteFile(pubFile, pub.Bytes(), 0o644)
		os.Remove(filepath.Join(dir, auditKeyName))
		if _, err := auditVerify(t, "--data", dir); err == nil || !strings.Contains(err.Error(), "--public-key") {
			t.Fatalf("without the key: %v, want a request for --public-key", err)
		}
		if out, err := auditVerify(t, "--data", dir, "--public-key", pubFile); err != nil || !strings.Contains(out, "intact") {
			t.Fatalf("with the public key: %q, %v", out, err)
		}
		other, _ := auditData(t, 1, true) // a checkpoint made with another key
		if _, err := auditVerify(t, "--data", other, "--public-key", pubFile); err == nil {
			t.Fatal("checkpoints of another key verified")
		}
	})

	t.Run("a readable signing key is refused", func(t *testing.T) {
		dir, _ := auditData(t, 1, true)
		os.Chmod(filepath.Join(dir, auditKeyName), 0o644)
		if _, err := auditVerify(t, "--data", dir); !errors.Is(err, security.ErrKeyPermissions) {
			t.Fatalf("got %v, want ErrKeyPermissions", err)
		}
		if _, err := auditSigningKey(Config{Data: dir}); !errors.Is(err, security.ErrKeyPermissions) {
			t.Fatalf("serve: got %v, want ErrKeyPermissions", err)
		}
	})

	t.Run("the signing key is created beside the master key, mode 0600", func(t *testing.T) {
		dir, _ := auditData(t, 1, true)
		fi, err := os.Stat(filepath.Join(dir, auditKeyName))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, %v", fi, err)
		}
		elsewhere := filepath.Join(t.TempDir(), "keys", "master.key")
		if got := auditKeyPath(Config{Data: dir, MasterKeyFile: elsewhere}); got != filepath.Join(filepath.Dir(elsewhere), auditKeyName) {
			t.Errorf("key path %s, want beside %s", got, elsewhere)
		}
	})

	t.Run("no database", func(t *testing.T) {
		if _, err := auditVerify(t, "--data", t.TempDir()); err == nil {
			t.Fatal("an empty folder verified")
		}
	})
}

func TestSecurityFlags(t *testing.T) {
	for _, tt := range []struct {
		in   string
		rate float64
		b    int
	}{{"20/s,60", 20, 60}, {"5/h,5", 5.0 / 3600, 5}, {"30/m, 10", 0.5, 10}} {
		l, err := parseLimit(tt.in)
		if err != nil || l.Rate != tt.rate || l.Burst != tt.b {
			t.Errorf("parseLimit(%q) = %+v, %v", tt.in, l, err)
		}
		if back, _ := parseLimit(formatLimit(l)); back != l {
			t.Errorf("formatLimit(%+v) = %q does not parse back", l, formatLimit(l))
		}
	}
	for _, bad := range []string{"", "20", "20/s", "0/s,5", "20/d,5", "20/s,0", "x/s,1"} {
		if _, err := parseLimit(bad); err == nil {
			t.Errorf("parseLimit(%q) accepted", bad)
		}
	}
	for _, args := range [][]string{
		{"--client-limit", "lots"}, {"--abuse-exempt", "10.0.0.0/99"}, {"--audit-checkpoint-every", "1s"},
	} {
		err := run(context.Background(), append(args, "--data", t.TempDir()), &bytes.Buffer{}, &bytes.Buffer{})
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(u.msg, strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%v: got %v, want a usage error naming the flag", args, err)
		}
	}
	cfg := defaultConfig()
	if err := parseFlags(flagSet(&cfg), []string{"--abuse-exempt", "none", "--session-limit", "2/s,8"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Security.validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Security.abuse.Exempt) != 0 || cfg.Security.abuse.SessionLimit.Burst != 8 || cfg.Security.abuse.ClientLimit.Burst != security.ClientLimit.Burst {
		t.Errorf("parsed %+v", cfg.Security.abuse)
	}
}

// TestServeSignsCheckpointAtShutdown: serve creates the signing key and,
// when it stops, signs a checkpoint that audit verify then holds the log to.
func TestServeSignsCheckpointAtShutdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	stop, _, stderr := bkServe(t, "--data", dir, "--backup-schedule", "off", "--demo")
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "audit checkpoint") {
		t.Errorf("no checkpoint in the log:\n%s", stderr)
	}
	out, err := auditVerify(t, "--data", dir)
	if err != nil || !strings.Contains(out, "1 signed checkpoints verified") {
		t.Fatalf("verify after serve: %q, %v", out, err)
	}
}
