package web

import (
	"bytes"
	"strings"
	"testing"
)

// TestLogOptions: JSON under systemd and text elsewhere when auto, the
// level filters, and bad values name their flag.
func TestLogOptions(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tt := range []struct {
		name, format, level string
		env                 map[string]string
		wantJSON, wantInfo  bool
	}{
		{"terminal", LogAuto, "info", nil, false, true},
		{"journal stream", LogAuto, "info", map[string]string{"JOURNAL_STREAM": "8:12345"}, true, true},
		{"systemd unit", LogAuto, "INFO", map[string]string{"INVOCATION_ID": "0123"}, true, true},
		{"text asked under systemd", LogText, "info", map[string]string{"INVOCATION_ID": "0123"}, false, true},
		{"json asked on a terminal", LogJSON, "warn", nil, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := LogOptions{Format: tt.format, Level: tt.level}
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			log := o.logger(&b, env(tt.env))
			log.Info("an info line")
			log.Warn("a warning")
			out := b.String()
			if got := strings.HasPrefix(out, "{"); got != tt.wantJSON {
				t.Errorf("JSON %v, want %v:\n%s", got, tt.wantJSON, out)
			}
			if got := strings.Contains(out, "an info line"); got != tt.wantInfo || !strings.Contains(out, "a warning") {
				t.Errorf("info logged %v (want %v), warning logged: %s", got, tt.wantInfo, out)
			}
		})
	}
	for _, bad := range []LogOptions{{Format: "xml", Level: "info"}, {Format: LogAuto, Level: "loud"}, {Format: LogAuto, Level: "info+2"}} {
		if err := bad.Validate(); err == nil || !strings.HasPrefix(err.Error(), "--log-") {
			t.Errorf("%+v: %v, want an error naming the flag", bad, err)
		}
	}
}
