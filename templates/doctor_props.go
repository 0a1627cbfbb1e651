package templates

import (
	"strconv"
	"time"
)

// DoctorCheck is one deployment check: its name, its verdict (PASS, WARN
// or FAIL), what was found, and, unless it passed, how to fix it.
type DoctorCheck struct {
	Name   string
	Status string
	Detail string
	Fix    string
}

// BuildInfo describes the running binary's build.
type BuildInfo struct {
	Module    string
	Version   string // the main module's version, "(devel)" for a local build
	GoVersion string // the Go toolchain that built it
	Revision  string // the commit, when recorded
	Modified  bool   // built from a work tree with changes
	Built     time.Time
	BuiltFrom string // where Built comes from; "" when unknown
	Deps      []Module
}

// Module is one dependency of the build.
type Module struct{ Path, Version string }

// Age is how long ago the binary was built, as of now; zero when unknown.
func (b BuildInfo) Age(now time.Time) time.Duration {
	if b.Built.IsZero() {
		return 0
	}
	return now.Sub(b.Built)
}

// DoctorReport is the checks with the build they ran in, for the settings
// page.
type DoctorReport struct {
	Checks []DoctorCheck
	Build  BuildInfo
	Now    time.Time
}

func checkClass(status string) string {
	switch status {
	case "PASS":
		return "check check-pass"
	case "WARN":
		return "check check-warn"
	}
	return "check check-fail"
}

func buildAge(b BuildInfo, now time.Time) string {
	if b.Built.IsZero() {
		return "unknown"
	}
	d := b.Age(now)
	var ago string
	switch days := int(d / (24 * time.Hour)); {
	case days >= 2:
		ago = strconv.Itoa(days) + " days ago"
	case days == 1:
		ago = "1 day ago"
	case d >= time.Hour:
		ago = strconv.Itoa(int(d/time.Hour)) + " hours ago"
	default:
		ago = "less than an hour ago"
	}
	return b.Built.UTC().Format("2 Jan 2006, 15:04 UTC") + " (" + ago + ")"
}
