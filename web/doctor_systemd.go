package web

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"safedesk/store"
)

// The doctor's "service" check: whether the server runs under a systemd
// unit, and which of the unit's protections (sandbox, systemd.go) it
// lacks, as /proc shows them. Inside the server (the settings page) it
// looks at its own process; `safedesk doctor` looks at the server that
// holds the data folder's lock (/proc/locks names its pid).

// capNetBindService is the one capability the unit may keep.
const capNetBindService = 10

// sandboxView is what /proc shows of one process's confinement.
type sandboxView struct {
	unit    string   // the systemd unit whose cgroup holds the process; "" when none
	have    []string // protections in force
	missing []string // protections of the unit that are not
}

// service: the server runs under systemd with the unit's protections.
func (d *doctor) service() DoctorCheck {
	const name = "service"
	proc, who := "/proc/self", "this server"
	if d.in.DB == nil {
		pid, ok := lockHolder(filepath.Join(d.in.Data, store.LockName))
		if !ok {
			return warn(name, "no server is running on "+d.in.Data+", so its sandbox cannot be seen",
				"start it (systemctl start safedesk) and run doctor again; the admin settings page shows this check from inside the server")
		}
		proc, who = "/proc/"+strconv.Itoa(pid), fmt.Sprintf("the server (pid %d)", pid)
	}
	v, err := readSandbox(proc)
	switch {
	case err != nil:
		return warn(name, "cannot read the sandbox of "+who+": "+err.Error(), "run doctor as the server's user or as root")
	case v.unit == "":
		return warn(name, who+" does not run under a systemd unit: nothing restarts it after a crash or a reboot, and nothing confines it",
			"install the unit that `safedesk systemd-unit` prints (README, Running as a service)")
	case len(v.missing) > 0:
		return warn(name, fmt.Sprintf("%s runs as %s without %s", who, v.unit, strings.Join(v.missing, ", ")),
			"use the unit that `safedesk systemd-unit` prints, or add what is missing to "+v.unit)
	}
	return pass(name, fmt.Sprintf("%s runs as %s with %s", who, v.unit, strings.Join(v.have, ", ")))
}

// readSandbox reads the confinement of the process whose /proc folder is
// dir.
func readSandbox(dir string) (sandboxView, error) {
	var v sandboxView
	cgroup, err := os.ReadFile(filepath.Join(dir, "cgroup"))
	if err != nil {
		return v, err
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return v, err
	}
	mounts, err := os.ReadFile(filepath.Join(dir, "mountinfo"))
	if err != nil {
		return v, err
	}
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return v, err
	}
	v.unit = serviceUnit(cgroup)
	st := statusFields(status)
	m := mountOptions(mounts)
	capEff, _ := strconv.ParseUint(st["CapEff"], 16, 64)
	uid, _, _ := strings.Cut(st["Uid"], "\t")
	for _, p := range []struct {
		name string
		ok   bool
	}{
		{"User= (not root)", uid != "" && uid != "0"},
		{"NoNewPrivileges", st["NoNewPrivs"] == "1"},
		{"SystemCallFilter (seccomp)", st["Seccomp"] == "2"},
		{"CapabilityBoundingSet", capEff&^(1<<capNetBindService) == 0},
		{"ProtectSystem=strict (/ read-only)", hasOption(m["/"], "ro")},
		{"ProtectHome (/home hidden)", hasOption(m["/home"], "ro")},
		{"PrivateTmp", strings.Contains(m["/tmp root"], "systemd-private")},
		{"LoadCredential (secrets in /run/credentials)", bytes.Contains(cmdline, []byte("/run/credentials/"))},
	} {
		if p.ok {
			v.have = append(v.have, p.name)
		} else {
			v.missing = append(v.missing, p.name)
		}
	}
	return v, nil
}

// serviceUnit is the systemd service whose cgroup holds the process, from
// /proc/PID/cgroup (the unified hierarchy, or systemd's own in the legacy
// one): the last element of the path, when it names a .service.
func serviceUnit(cgroup []byte) string {
	for line := range strings.Lines(string(cgroup)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 || parts[1] != "" && parts[1] != "name=systemd" {
			continue
		}
		if last := filepath.Base(parts[2]); strings.HasSuffix(last, ".service") {
			return last
		}
	}
	return ""
}

// statusFields are the "Key:\tvalue" lines of /proc/PID/status.
func statusFields(status []byte) map[string]string {
	f := map[string]string{}
	for line := range strings.Lines(string(status)) {
		if k, v, ok := strings.Cut(line, ":"); ok {
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

// mountOptions maps each mount point of /proc/PID/mountinfo to the
// options of the mount on top, and "/tmp root" to the root of the
// filesystem mounted at /tmp (PrivateTmp binds a folder named
// systemd-private-… there).
func mountOptions(mountinfo []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			continue
		}
		m[f[4]] = f[5]
		if f[4] == "/tmp" {
			m["/tmp root"] = f[3]
		}
	}
	return m
}

// hasOption reports whether the comma-separated mount options opts hold
// opt.
func hasOption(opts, opt string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}
