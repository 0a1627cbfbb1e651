package notify

import (
	"flag"
	"testing"
	"time"
)

func TestOptions(t *testing.T) {
	for _, tt := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--notify-digest", "30 17 * * 1-5", "--notify-due-window", "30m"}, true},
		{[]string{"--notify-digest", "every morning"}, false},
		{[]string{"--notify-due-window", "10s"}, false},
		{[]string{"--notify-due-window", "400h"}, false},
	} {
		o := DefaultOptions()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		o.Flags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); (err == nil) != tt.ok {
			t.Errorf("%q: %v", tt.args, err)
		}
	}
	if o := DefaultOptions(); o.DueWindow != time.Hour || o.DigestSchedule != "0 7 * * *" {
		t.Errorf("defaults %+v", o)
	}
}

func TestFirstName(t *testing.T) {
	for in, want := range map[string]string{"Olive Owner": "Olive", "  Sam ": "Sam", "": "there"} {
		if got := firstName(in); got != want {
			t.Errorf("firstName(%q) = %q, want %q", in, got, want)
		}
	}
}
