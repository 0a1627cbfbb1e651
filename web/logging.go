package web

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Log formats of LogOptions.Format.
const (
	LogAuto = "auto" // JSON under systemd (JOURNAL_STREAM or INVOCATION_ID set), text elsewhere
	LogText = "text"
	LogJSON = "json"
)

// LogOptions are the server log's settings (--log-format, --log-level).
type LogOptions struct {
	// Format is LogAuto, LogText or LogJSON.
	Format string
	// Level is the least severe level logged: debug, info, warn or error.
	Level string

	level slog.Level
}

// DefaultLogOptions log at info level, in the format that suits where the
// server runs.
func DefaultLogOptions() LogOptions { return LogOptions{Format: LogAuto, Level: "info"} }

// Flags adds --log-format and --log-level.
func (o *LogOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Format, "log-format", o.Format, "log format: text, json, or auto (json under systemd, where the journal keeps each field; text on a terminal)")
	fs.StringVar(&o.Level, "log-level", o.Level, "least severe level logged: debug, info, warn or error")
}

// Validate checks the settings. Its errors name the flag, on one line.
func (o *LogOptions) Validate() error {
	switch o.Format {
	case LogAuto, LogText, LogJSON:
	default:
		return fmt.Errorf("--log-format %q: want text, json or auto", o.Format)
	}
	if err := o.level.UnmarshalText([]byte(o.Level)); err != nil || strings.ContainsAny(o.Level, "+-") {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", o.Level)
	}
	return nil
}

// underSystemd reports whether the environment is that of a systemd
// service: the journal's stream (JOURNAL_STREAM) or a unit's invocation id
// (INVOCATION_ID).
func underSystemd(getenv func(string) string) bool {
	return getenv("JOURNAL_STREAM") != "" || getenv("INVOCATION_ID") != ""
}

// Logger returns the server's logger writing to w, in the format the
// options and the environment (os.Getenv) choose. Validate must have
// passed.
func (o LogOptions) Logger(w io.Writer) *slog.Logger {
	return o.logger(w, os.Getenv)
}

func (o LogOptions) logger(w io.Writer, getenv func(string) string) *slog.Logger {
	h := &slog.HandlerOptions{Level: o.level}
	if o.Format == LogJSON || o.Format == LogAuto && underSystemd(getenv) {
		return slog.New(slog.NewJSONHandler(w, h))
	}
	return slog.New(slog.NewTextHandler(w, h))
}
