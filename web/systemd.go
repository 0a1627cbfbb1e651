package web

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"path"
	"strconv"
	"strings"
)

// The systemd unit that `safedesk systemd-unit` prints. It lives in web,
// beside the doctor, because both hold the same list of protections
// (sandbox): the unit sets them and the doctor reports which of them a
// running server lacks. It is made from the server's flag set, so that it
// always matches the binary: every flag whose value differs from its
// default goes on ExecStart, and every secret-file flag (credentialFlag)
// the binary has is fed through LoadCredential=.

// Where the unit keeps things.
const (
	// UnitDataDir is the data folder of the unit: StateDirectory=safedesk.
	UnitDataDir = "/var/lib/safedesk"
	// UnitSecretsDir is where the unit's credentials are read from by
	// default (LoadCredential=), owned by the service user, mode 0700.
	UnitSecretsDir = "/etc/safedesk"
	// UnitUser is the dedicated system user the unit runs as.
	UnitUser = "safedesk"
)

// sandbox is the unit's hardening, one directive a line. The doctor checks
// the part of it that /proc shows (doctor_systemd.go).
var sandbox = []string{
	"NoNewPrivileges=yes",
	"ProtectSystem=strict",
	"ProtectHome=yes",
	"PrivateTmp=yes",
	"PrivateDevices=yes",
	"ProtectKernelTunables=yes",
	"ProtectKernelModules=yes",
	"ProtectKernelLogs=yes",
	"ProtectControlGroups=yes",
	"ProtectClock=yes",
	"ProtectHostname=yes",
	"ProtectProc=invisible",
	"RestrictNamespaces=yes",
	"RestrictRealtime=yes",
	"RestrictSUIDSGID=yes",
	"LockPersonality=yes",
	"MemoryDenyWriteExecute=yes",
	"RemoveIPC=yes",
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
	"SystemCallArchitectures=native",
	"SystemCallFilter=@system-service",
	"SystemCallFilter=~@privileged @resources",
	"SystemCallErrorNumber=EPERM",
	"UMask=0077",
}

// credentialFlag reports whether the flag named name points at a file
// holding a secret, which the unit passes with LoadCredential=, and the
// credential's name: master-key-file is "master.key" (the audit signing
// key is read beside it), *-password-file, *-passphrase-file and
// *-api-key-file drop "-file".
func credentialFlag(name string) (string, bool) {
	switch {
	case name == "master-key-file":
		return "master.key", true
	case strings.HasSuffix(name, "-password-file"), strings.HasSuffix(name, "-passphrase-file"), strings.HasSuffix(name, "-api-key-file"):
		return strings.TrimSuffix(name, "-file"), true
	}
	return "", false
}

// unitCredential is one LoadCredential= line and the flag that reads it.
type unitCredential struct{ id, source, flag string }

// WriteSystemdUnit writes the systemd service unit for the binary at exe
// (an absolute path) with the parsed server flags fs: the dedicated user,
// the data folder as StateDirectory, the secrets as credentials, the
// sandbox, reload by SIGHUP, and CAP_NET_BIND_SERVICE only when a listen
// address has a port below 1024. The master key is always a credential,
// from UnitSecretsDir/master.key unless --master-key-file names another
// file; other secret files are credentials when their flag is set.
func WriteSystemdUnit(w io.Writer, exe string, fs *flag.FlagSet) error {
	if !path.IsAbs(exe) {
		return fmt.Errorf("systemd-unit: the binary's path %q is not absolute", exe)
	}
	args := []string{unitQuote(exe), "serve", "--data", UnitDataDir}
	var creds []unitCredential
	var writable []string
	var failed error
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		id, secret := credentialFlag(f.Name)
		switch {
		case f.Name == "data":
			return
		case secret && (v != "" || f.Name == "master-key-file"):
			if v == "" {
				v = path.Join(UnitSecretsDir, id)
			}
			creds = append(creds, unitCredential{id: id, source: v, flag: f.Name})
			if id == "master.key" {
				creds = append(creds, unitCredential{id: "audit-signing.key", source: path.Join(path.Dir(v), "audit-signing.key")})
			}
			return
		case v == f.DefValue:
			return
		case f.Name == "backup-copy-to":
			writable = append(writable, v)
		}
		if !path.IsAbs(v) && (f.Name == "backup-copy-to" || strings.HasSuffix(f.Name, "-file") || f.Name == "tls-cert" || f.Name == "tls-key" || f.Name == "backup-identity") {
			failed = fmt.Errorf("systemd-unit: --%s %q: give an absolute path, the service does not start where you stand", f.Name, v)
		}
		args = append(args, unitQuote("--"+f.Name+"="+v))
	})
	if failed != nil {
		return failed
	}
	lowPort := false
	for _, name := range []string{"addr", "http-redirect-addr"} {
		if f := fs.Lookup(name); f != nil {
			lowPort = lowPort || privilegedPort(f.Value.String())
		}
	}
	for _, c := range creds {
		if c.flag != "" {
			args = append(args, "--"+c.flag+"=%d/"+c.id)
		}
	}
	return writeUnit(w, args, creds, writable, lowPort)
}

// writeUnit writes the unit's text.
func writeUnit(w io.Writer, args []string, creds []unitCredential, writable []string, lowPort bool) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, `# safedesk.service, printed by "safedesk systemd-unit" for this binary and
# its flags: print it again after an upgrade or a change of flags.
# Install: see README, "Running as a service".
[Unit]
Description=safedesk help desk
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User=%s
Group=%s
ExecStart=%s
# systemctl reload: certificate files are read again.
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
TimeoutStopSec=60s
StateDirectory=safedesk
StateDirectoryMode=0700
WorkingDirectory=%s
`, UnitUser, UnitUser, strings.Join(args, " "), UnitDataDir)
	b.WriteString("# Secrets: read by systemd from these files (owned by " + UnitUser + ", mode 0600)\n# and given to the service alone in $CREDENTIALS_DIRECTORY (%d).\n")
	for _, c := range creds {
		fmt.Fprintf(&b, "LoadCredential=%s:%s\n", c.id, unitEscape(c.source))
	}
	for _, d := range writable {
		fmt.Fprintf(&b, "ReadWritePaths=%s\n", unitEscape(d))
	}
	b.WriteString("# Sandbox (safedesk doctor reports what a running server lacks).\n")
	for _, d := range sandbox {
		b.WriteString(d + "\n")
	}
	if lowPort {
		b.WriteString("# Listening on a port below 1024: that capability alone.\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n")
	} else {
		b.WriteString("CapabilityBoundingSet=\n")
	}
	b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
	_, err := w.Write(b.Bytes())
	return err
}

// privilegedPort reports whether the listen address addr has a port below
// 1024 (which needs CAP_NET_BIND_SERVICE); port 0 is any free port.
func privilegedPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 1024
}

// unitEscape escapes the characters that systemd expands in a unit
// setting: % (specifiers) and $ (environment variables).
func unitEscape(s string) string {
	return strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
}

// unitQuote is one word of ExecStart: escaped, and in double quotes (with
// backslash escapes) when it holds a space, a quote, a backslash or a
// semicolon, which systemd would otherwise split on or read.
func unitQuote(s string) string {
	s = unitEscape(s)
	if !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
