package llm

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// BenchmarkEnvelope measures what the envelope adds to a turn when the
// model answers at once: redaction of the question, building the request,
// and checking the answer (parsing, citations, plain text). The network is
// not part of it. It reports the 99th percentile per turn.
//
//	go test ./bot/llm -run '^$' -bench Envelope -benchtime 5000x
func BenchmarkEnvelope(b *testing.B) {
	c := &Client{model: "stub", site: site, maxBytes: DefaultMaxBytes}
	req := Request{
		Question: "Hi, I'm Grace Hopper, order #558812 from 221B Baker Street hasn't arrived; my email is grace@navy.example " +
			"and phone +44 20 7946 0958. How long does shipping to Germany take, and can I return it if it's late?",
		Known: []string{"Grace Hopper", "grace@navy.example"}, Lang: "en", Sections: sections,
	}
	content, _ := json.Marshal(map[string]any{
		"answer":  "**Shipping** to Germany takes 3–5 working days and costs €9.95. See [Shipping](https://help.example.com/kb/shipping#delivery-times) or https://evil.example. You can return it: print the label from your order page.",
		"sources": []string{sections[0].ID, sections[1].ID},
	})
	var resp chatResponse
	raw, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": "```json\n" + string(content) + "\n```"}}}})
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := c.body(req); err != nil {
			b.Fatal(err)
		}
		resp = chatResponse{}
		if err := json.Unmarshal(raw, &resp); err != nil {
			b.Fatal(err)
		}
		if _, err := check(resp, req.Sections, c.site); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
	}
}
