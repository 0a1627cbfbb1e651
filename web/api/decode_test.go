package api

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCheckKeysManyFields: the strict key check holds for a request type of
// any size, past 64 fields too.
func TestCheckKeysManyFields(t *testing.T) {
	fields := make([]string, 70)
	members := make([]string, 70)
	for i := range fields {
		fields[i] = fmt.Sprintf("f%d", i)
		members[i] = fmt.Sprintf(`"f%d":%d`, i, i)
	}
	object := func(ms ...string) []byte { return []byte("{" + strings.Join(ms, ",") + "}") }
	if err := checkKeys(object(members...), fields); err != nil {
		t.Fatalf("every field once: %v", err)
	}
	for _, tc := range []struct {
		name    string
		members []string
		code    string
	}{
		{"the 66th field twice", append(members[:66:66], `"f65":0`), "invalid_json"},
		{"the 70th field twice", append(members[:70:70], `"f69":0`), "invalid_json"},
		{"the 1st field twice", append(members[:70:70], `"f0":0`), "invalid_json"},
		{"a field in another case", append(members[:65:65], `"F65":0`), "unknown_field"},
		{"an unknown field", append(members[:70:70], `"f70":0`), "unknown_field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ae *apiError
			if err := checkKeys(object(tc.members...), fields); !errors.As(err, &ae) || ae.code != tc.code || ae.status != 400 {
				t.Errorf("got %v, want a 400 %s", err, tc.code)
			}
		})
	}
}

// TestSafeNameKeepsCharacters: a long name is cut on a character boundary.
func TestSafeNameKeepsCharacters(t *testing.T) {
	name := strings.Repeat("a", 39) + "é" + strings.Repeat("b", 10) // é straddles byte 40
	got := safeName(name)
	if got != `"`+strings.Repeat("a", 39)+`\u2026"` {
		t.Errorf("safeName = %s", got)
	}
	if !utf8.ValidString(got) {
		t.Errorf("safeName split a character: %q", got)
	}
}
