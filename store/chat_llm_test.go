package store_test

import (
	"context"
	"testing"
	"time"

	"safedesk/store"
)

// TestChatStatsCountModel: the insight page's counts of answers a language
// model wrote and of those that fell back, by reason.
func TestChatStatsCountModel(t *testing.T) {
	db, clk := newTestDB(t)
	c := openChat(t, db, "m")
	for _, m := range []string{"used", "used", "timeout", "unknown_source", ""} {
		say(t, db, c.ID, store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: "shipping?", Outcome: store.ChatOutcomeAnswered, Model: m})
	}
	st, err := db.ChatStats(context.Background(), clk.Now().Add(-time.Hour), clk.Now().Add(time.Second), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"used": 2, "timeout": 1, "unknown_source": 1}
	if len(st.Model) != len(want) || st.Outcomes[store.ChatOutcomeAnswered] != 5 {
		t.Fatalf("model %v, outcomes %v", st.Model, st.Outcomes)
	}
	for k, n := range want {
		if st.Model[k] != n {
			t.Errorf("model[%q] = %d, want %d", k, st.Model[k], n)
		}
	}
}
