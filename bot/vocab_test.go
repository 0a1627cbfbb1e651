package bot

import "testing"

// TestCorrect: a typo is taken for the knowledge base's word it is a slip
// of (a letter left out, added, swapped or wrong, two of them in a long
// word), but a real word two letters different in place is left alone.
func TestCorrect(t *testing.T) {
	b := newVocabBuilder()
	for _, w := range []string{"preventing", "password", "address", "return", "often", "open", "refund", "delivery"} {
		b.add(w, "en:"+w)
	}
	v := b.done()
	en := langBit(langEN)
	for typo, want := range map[string]string{
		"pasword":    "password",   // one left out
		"adress":     "address",    // one left out
		"retrun":     "return",     // two swapped
		"ofen":       "often",      // left out, not wrong ("open")
		"refnud":     "refund",     // two swapped
		"delivary":   "delivery",   // one wrong
		"dellivary":  "delivery",   // one added and one wrong
		"pretending": "",           // two wrong: another word
		"preventign": "preventing", // two swapped in a long word
	} {
		if got := v.correct(typo, en); got != want {
			t.Errorf("correct(%q) = %q, want %q", typo, got, want)
		}
	}
}
