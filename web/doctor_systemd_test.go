package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/store"
)

// TestDoctorServiceFindsTheServer: `safedesk doctor` finds the process
// that holds the data folder's lock (here this test, which is not under
// systemd) and says what it lacks; with no server running it says so.
func TestDoctorServiceFindsTheServer(t *testing.T) {
	if _, err := os.Stat("/proc/locks"); err != nil {
		t.Skip("no /proc/locks on this system")
	}
	dir := doctorFolder(t)
	in := devInput(t, dir)
	if c := verdicts(t, in)["service"]; c.Status != CheckWarn || !strings.Contains(c.Detail, "no server is running") {
		t.Errorf("without a server: %+v", c)
	}
	release, err := store.LockDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	c := verdicts(t, in)["service"]
	if c.Status != CheckWarn || !strings.Contains(c.Detail, fmt.Sprintf("the server (pid %d) does not run under a systemd unit", os.Getpid())) ||
		!strings.Contains(c.Fix, "safedesk systemd-unit") {
		t.Errorf("a server outside systemd: %+v", c)
	}
}

// Files of /proc/PID for a process of the unit that `safedesk
// systemd-unit` prints, as systemd 252 leaves them (abridged).
const (
	unitCgroup    = "0::/system.slice/safedesk.service\n"
	unitStatus    = "Name:\tsafedesk\nUid:\t998\t998\t998\t998\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\nCapEff:\t0000000000000000\n"
	unitMountinfo = `330 329 254:0 / / ro,relatime master:1 - ext4 /dev/vda1 rw
331 330 254:0 /var/lib/safedesk /var/lib/safedesk rw,nosuid,nodev,relatime master:1 - ext4 /dev/vda1 rw
332 330 0:70 / /home ro,nosuid,nodev,noexec,relatime - tmpfs tmpfs ro,size=0k,mode=000
333 330 254:0 /tmp/systemd-private-6f0e-safedesk.service-Xy12/tmp /tmp rw,nosuid,nodev,relatime master:1 - ext4 /dev/vda1 rw
`
	unitCmdline = "/usr/local/bin/safedesk\x00serve\x00--data\x00/var/lib/safedesk\x00--master-key-file=/run/credentials/safedesk.service/master.key\x00"
)

// procDir writes a /proc/PID folder with the given files.
func procDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestReadSandbox: every protection of the unit shows, and each one taken
// away is named.
func TestReadSandbox(t *testing.T) {
	full := map[string]string{"cgroup": unitCgroup, "status": unitStatus, "mountinfo": unitMountinfo, "cmdline": unitCmdline}
	v, err := readSandbox(procDir(t, full))
	if err != nil {
		t.Fatal(err)
	}
	if v.unit != "safedesk.service" || len(v.missing) != 0 || len(v.have) != 8 {
		t.Fatalf("the unit's process: %+v", v)
	}
	for _, tt := range []struct {
		file, from, to, missing string
	}{
		{"status", "NoNewPrivs:\t1", "NoNewPrivs:\t0", "NoNewPrivileges"},
		{"status", "Seccomp:\t2", "Seccomp:\t0", "SystemCallFilter (seccomp)"},
		{"status", "CapEff:\t0000000000000000", "CapEff:\t000001ffffffffff", "CapabilityBoundingSet"},
		{"status", "Uid:\t998", "Uid:\t0", "User= (not root)"},
		{"mountinfo", "/ / ro,relatime", "/ / rw,relatime", "ProtectSystem=strict (/ read-only)"},
		{"mountinfo", "/ /home ro,", "/ /homes ro,", "ProtectHome (/home hidden)"},
		{"mountinfo", "systemd-private-6f0e-safedesk.service-Xy12/tmp", "tmp", "PrivateTmp"},
		{"cmdline", "/run/credentials/safedesk.service/master.key", "/etc/safedesk/master.key", "LoadCredential (secrets in /run/credentials)"},
	} {
		files := map[string]string{}
		for k, b := range full {
			files[k] = b
		}
		files[tt.file] = strings.Replace(files[tt.file], tt.from, tt.to, 1)
		v, err := readSandbox(procDir(t, files))
		if err != nil || len(v.missing) != 1 || v.missing[0] != tt.missing {
			t.Errorf("%s %q: missing %v, %v; want [%s]", tt.file, tt.to, v.missing, err, tt.missing)
		}
	}
	if got := serviceUnit([]byte("0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope\n")); got != "" {
		t.Errorf("a login session's process is in unit %q", got)
	}
	if got := serviceUnit([]byte("12:cpu:/system.slice/x.service\n1:name=systemd:/system.slice/safedesk.service\n")); got != "safedesk.service" {
		t.Errorf("cgroup v1: %q", got)
	}
}
