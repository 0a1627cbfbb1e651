package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// bulkExamples are fifteen example questions an editor pasted for the
// section on descaling with citric acid: each a customer's way of asking,
// many with words the section does not have.
var bulkExamples = []string{
	"my kettle is noisy since i descaled it", "how long does the cleaning program run",
	"is the water safe to drink afterwards", "can i use vinegar instead of citric acid",
	"the lid will not close after cleaning", "what about the filter in the spout",
	"do i need gloves for the powder", "my tea tastes strange after descaling",
	"white flakes in the cup", "can i leave it overnight", "is citric acid safe around children",
	"do you sell the powder", "how much water do i add", "it smells of lemon now",
	"do i rinse it twice",
}

// bulkKB is a small knowledge base whose descaling section has n of
// bulkExamples.
func bulkKB(n int) fstest.MapFS {
	var kettle strings.Builder
	kettle.WriteString("---\n")
	for _, q := range bulkExamples[:n] {
		fmt.Fprintf(&kettle, "example descaling-with-citric-acid: %s\n", q)
	}
	kettle.WriteString("---\n# Descale your kettle\n\nScale builds up in every kettle that boils hard tap water.\n\n" +
		"## How often\n\nDescale once a month with hard water, every three months with soft water.\n\n" +
		"## Descaling with citric acid\n\nFill the kettle halfway, add one sachet of citric acid, boil, " +
		"wait twenty minutes, pour it away and boil fresh water once.\n")
	return fstest.MapFS{
		"descale-your-kettle.md": {Data: []byte(kettle.String())},
		"shipping-times.md": {Data: []byte("# Shipping times\n\nOrders leave our warehouse the next working day.\n\n" +
			"## Netherlands\n\nDelivery takes one to two working days and costs €4.95.\n")},
	}
}

// bulkBot is a bot over bulkKB(n), in a fresh database.
func bulkBot(t *testing.T, n int) *Bot {
	t.Helper()
	return newTestBot(t, newStoreWith(t, bulkKB(n)))
}

// TestBulkExamplesStayUnsure: fifteen example questions on one section do
// not make the bot sure of a question the knowledge base does not answer
// because each of its words is in one of them by chance, as three do not;
// an example's own question is still answered with its section.
func TestBulkExamplesStayUnsure(t *testing.T) {
	ctx := context.Background()
	const chance = "can my children drink lemon water overnight"
	for _, n := range []int{3, len(bulkExamples)} {
		b := bulkBot(t, n)
		r, err := b.Respond(ctx, Input{Text: chance})
		if err != nil {
			t.Fatal(err)
		}
		if r.Source != nil {
			t.Errorf("with %d examples, %q got %s (%s, confidence %.2f), want no answer", n, chance, describe(r.Source), r.Outcome, r.Confidence)
		}
	}
	b := bulkBot(t, len(bulkExamples))
	const asked = "can i use vinegar instead of citric acid?"
	r, err := b.Respond(ctx, Input{Text: asked})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source == nil || r.Source.URL() != "/kb/descale-your-kettle#descaling-with-citric-acid" {
		t.Errorf("%q got %s (%s, confidence %.2f), want the section on citric acid", asked, describe(r.Source), r.Outcome, r.Confidence)
	}
}
