// Package bottest holds test data of the chat assistant shared with other
// packages' tests.
package bottest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Ordinary returns the questions of bot/testdata/ordinary.txt: ordinary
// support questions that use words attackers use too (admin, password, API
// key, system:, select, drop, pasted code and error messages). None of them
// may be treated as probing.
func Ordinary(tb testing.TB) []string {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(here), "..", "testdata", "ordinary.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
