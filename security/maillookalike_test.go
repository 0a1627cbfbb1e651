package security

import "testing"

func TestLookalikeKey(t *testing.T) {
	const anna = "anna.berg@example.com"
	for _, alike := range []string{"anna.berg@examp1e.com", "anna.berg@exarnple.com", "anna.berg@example.co", "annaberg@example.com",
		"anna.berg+shop@example.com", "anna.berg@mail.example.com", "anna-berg@example.de", "anna.berg@examp1e.co.uk", "ANNA.BERG@EXAMPLE.COM"} {
		if LookalikeKey(alike) != LookalikeKey(anna) {
			t.Errorf("%s: key %q, want %s's %q", alike, LookalikeKey(alike), anna, LookalikeKey(anna))
		}
	}
	for _, other := range []string{"anna.bergs@example.com", "anna.berg@sample.com", "bob@example.com", "anna.berg@example-shop.com", ""} {
		if LookalikeKey(other) == LookalikeKey(anna) {
			t.Errorf("%s reads like %s: key %q", other, anna, LookalikeKey(other))
		}
	}
}
