package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"safedesk/bot/llm"
	"safedesk/bot/llm/llmtest"
)

// TestDoctorModel: off passes; a working model passes with its time; one
// refusing response_format passes and says so; one that is down, or that
// does not write JSON, fails with a fix. The self-test never sends a
// knowledge-base or customer text.
func TestDoctorModel(t *testing.T) {
	in := devInput(t, doctorFolder(t))
	if c := verdicts(t, in)["llm"]; c.Status != CheckPass || !strings.Contains(c.Detail, "no language model") {
		t.Fatalf("model off: %+v", c)
	}

	stub := llmtest.NewStub(t, llmtest.Good)
	in.LLM = llm.Options{Endpoint: stub.Endpoint(), Model: "llama3.2"}
	if err := in.LLM.Validate(); err != nil {
		t.Fatal(err)
	}
	c := verdicts(t, in)["llm"]
	if c.Status != CheckPass || !strings.Contains(c.Detail, "127.0.0.1 (model llama3.2) answered") {
		t.Fatalf("working model: %+v", c)
	}
	for _, r := range stub.Requests() {
		if len(r.IDs) != 1 || r.IDs[0] != "selftest#hours" {
			t.Fatalf("the doctor offered sections %v", r.IDs)
		}
	}

	stub.SetAnswer(func(r llmtest.Request) llmtest.Reply {
		if bytes.Contains(r.Body, []byte(`"response_format"`)) {
			return llmtest.Reply{Status: http.StatusBadRequest, Raw: `{"error":"unknown field: response_format"}`}
		}
		return llmtest.Good(r)
	})
	if c := verdicts(t, in)["llm"]; c.Status != CheckPass || !strings.Contains(c.Detail, "refuses response_format") {
		t.Fatalf("endpoint without response_format: %+v", c)
	}

	stub.SetAnswer(func(llmtest.Request) llmtest.Reply { return llmtest.Reply{Content: "We are open 9 to 5!"} })
	if c := verdicts(t, in)["llm"]; c.Status != CheckFail || !strings.Contains(c.Detail, "bad_json") {
		t.Fatalf("model that ignores the format: %+v", c)
	}

	stub.Close()
	if c := verdicts(t, in)["llm"]; c.Status != CheckFail || !strings.Contains(c.Detail, "unreachable") || !strings.Contains(c.Fix, "listens") {
		t.Fatalf("model server down: %+v", c)
	}
}
