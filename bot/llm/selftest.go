package llm

import (
	"context"
	"time"
)

// SelfTest is what one fixed question asked of the model showed: how long
// it took and whether the envelope would have used the answer.
type SelfTest struct {
	Took time.Duration
	// Plain reports that the endpoint refused the response_format, so
	// the JSON is asked for in the instructions only.
	Plain bool
}

// selfTestRequest is made up and public: nothing from the database or a
// visitor is ever sent by a self-test.
var selfTestRequest = Request{
	Question: "When is your support team available?",
	Lang:     "en",
	Sections: []Section{{
		ID: "selftest#hours", Title: "Contact us", Heading: "Opening hours",
		Text: "Our support team answers Monday to Friday, 9:00 to 17:00.",
	}},
}

// SelfTest asks the model one fixed question over one made-up section,
// through the whole envelope (the one allowed endpoint, the size cap, the
// answer checks), as `safedesk doctor` does. An error is one that ReasonOf
// names: the same fallback a visitor's question would meet.
func (c *Client) SelfTest(ctx context.Context) (SelfTest, error) {
	start := time.Now()
	raw, err := c.ask(ctx, selfTestRequest)
	if err == nil {
		_, err = check(raw, selfTestRequest.Sections, c.site)
	}
	return SelfTest{Took: time.Since(start), Plain: c.plain.Load()}, err
}
