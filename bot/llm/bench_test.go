package llm

import (
	"encoding/json"
	"runtime"
	"slices"
	"testing"
	"time"

	"safedesk/store/storetest"
)

// BenchmarkEnvelope measures what the envelope adds to a turn when the
// model answers at once: redaction of the question, building the request,
// and checking the answer (parsing, citations, plain text). The network is
// not part of it. It reports the 99th percentile per turn of the time
// elapsed (p99-ms) and, on Linux, of the CPU time the turn itself used
// (p99-cpu-ms), which a machine busy with other work does not inflate.
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
	cpu := make([]time.Duration, 0, b.N)
	runtime.LockOSThread() // the thread's CPU clock must be this goroutine's
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		startCPU := storetest.ThreadCPU()
		if _, err := c.body(req, false); err != nil {
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
		if storetest.ThreadCPUMeasured {
			cpu = append(cpu, storetest.ThreadCPU()-startCPU)
		}
	}
	b.ReportMetric(p99ms(times), "p99-ms")
	if len(cpu) > 0 {
		b.ReportMetric(p99ms(cpu), "p99-cpu-ms")
	}
}

// p99ms is the 99th percentile of ds, in milliseconds.
func p99ms(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[len(ds)*99/100].Microseconds()) / 1000
}
