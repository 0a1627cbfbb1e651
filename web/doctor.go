package web

import (
	"context"
	"os"
	"runtime/debug"
	"time"

	"safedesk/templates"
)

// DoctorCheck is one deployment check of `safedesk doctor`, also shown on
// the admin settings page.
type DoctorCheck = templates.DoctorCheck

// Verdicts of a DoctorCheck.
const (
	CheckPass = "PASS"
	CheckWarn = "WARN"
	CheckFail = "FAIL"
)

// BuildInfo is what the binary knows of its own build (`safedesk version`,
// the settings page, the doctor's binary-age check).
type BuildInfo = templates.BuildInfo

// Where BuildInfo.Built comes from.
const (
	BuiltFromVCS    = "vcs.time, the time of the commit it was built from"
	BuiltFromBinary = "the binary's modification time: the build recorded no vcs.time"
)

// ReadBuild reads the build information embedded in the running binary.
// The build time is the commit's time when the build recorded it, and
// otherwise the modification time of the executable file.
func ReadBuild() BuildInfo {
	var b BuildInfo
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.Version, b.GoVersion = bi.Main.Path, bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				b.Built, b.BuiltFrom = t, BuiltFromVCS
			}
		}
	}
	if b.Built.IsZero() {
		if exe, err := os.Executable(); err == nil {
			if fi, err := os.Stat(exe); err == nil {
				b.Built, b.BuiltFrom = fi.ModTime(), BuiltFromBinary
			}
		}
	}
	for _, d := range bi.Deps {
		m := templates.Module{Path: d.Path, Version: d.Version}
		if d.Replace != nil {
			m.Version += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		b.Deps = append(b.Deps, m)
	}
	return b
}

// doctorChecks runs the deployment checks for the settings page, or none
// when the server was started without them.
func (s *Server) doctorChecks(ctx context.Context) []DoctorCheck {
	if s.cfg.Doctor == nil {
		return nil
	}
	return s.cfg.Doctor(ctx)
}

// doctorReport is the settings page's checks with the build.
func (s *Server) doctorReport(ctx context.Context) templates.DoctorReport {
	return templates.DoctorReport{Checks: s.doctorChecks(ctx), Build: ReadBuild(), Now: time.Now()}
}
