package api

import (
	"testing"
	"time"
)

// TestAddressAlertsBounded: the tokens whose address alerts are
// deduplicated are bounded, and a flood of tokens forgets the least
// recently alerted ones, not every one at once.
func TestAddressAlertsBounded(t *testing.T) {
	l := newLimits(10, 100)
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	if !l.firstAlert(1, now) || l.firstAlert(1, now.Add(59*time.Minute)) || !l.firstAlert(1, now.Add(61*time.Minute)) {
		t.Fatal("want an alert, none within the hour, then one after it")
	}
	const flood = alertedTokens + 6
	for tok := range int64(flood) {
		l.firstAlert(100+tok, now)
	}
	if n := l.alerted.Len(); n > alertedTokens {
		t.Errorf("%d tokens remembered, want at most %d", n, alertedTokens)
	}
	for _, tok := range []int64{100 + flood - 1, 100 + flood - 10, 100 + flood - 1000} {
		if l.firstAlert(tok, now.Add(time.Minute)) {
			t.Errorf("token %d, alerted a minute ago, alerts again", tok)
		}
	}
}
