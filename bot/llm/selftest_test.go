package llm

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"safedesk/bot/llm/llmtest"
)

// strictServer answers 400 to any request carrying a response_format, as
// some OpenAI-compatible servers do, and well otherwise.
func strictServer(req llmtest.Request) llmtest.Reply {
	if bytes.Contains(req.Body, []byte(`"response_format"`)) {
		return llmtest.Reply{Status: http.StatusBadRequest, Raw: `{"error":{"message":"response_format is not supported"}}`}
	}
	return llmtest.Good(req)
}

// TestRetryWithoutResponseFormat: an endpoint that refuses the field is
// asked once more without it, and after that never with it.
func TestRetryWithoutResponseFormat(t *testing.T) {
	stub := llmtest.NewStub(t, strictServer)
	c := newClient(t, stub)
	for range 2 {
		if _, err := c.Answer(context.Background(), selfTestRequest); err != nil {
			t.Fatalf("answer from a server without response_format: %v", err)
		}
	}
	reqs := stub.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (refused, retried, then plain from the start)", len(reqs))
	}
	for i, want := range []bool{true, false, false} {
		if got := bytes.Contains(reqs[i].Body, []byte(`"response_format"`)); got != want {
			t.Errorf("request %d has response_format %v, want %v", i, got, want)
		}
	}

	// Any other refusal is not retried: one request, a status fallback.
	for _, rep := range []llmtest.Reply{
		{Status: http.StatusInternalServerError},
		{Status: http.StatusBadRequest, Raw: `{"error":{"message":"context length exceeded"}}`},
	} {
		other := llmtest.NewStub(t, func(llmtest.Request) llmtest.Reply { return rep })
		c = newClient(t, other)
		if _, err := c.Answer(context.Background(), selfTestRequest); ReasonOf(err) != ReasonStatus {
			t.Fatalf("reason %q, want %q", ReasonOf(err), ReasonStatus)
		}
		if n := len(other.Requests()); n != 1 {
			t.Fatalf("%d requests to a server answering %d %s, want 1", n, rep.Status, rep.Raw)
		}
	}
}

// TestSelfTest: the doctor's question goes through the whole envelope and
// sends nothing but its made-up section.
func TestSelfTest(t *testing.T) {
	stub := llmtest.NewStub(t, strictServer)
	st, err := newClient(t, stub).SelfTest(context.Background())
	if err != nil || !st.Plain || st.Took <= 0 {
		t.Fatalf("self-test = %+v, %v; want a plain-JSON pass", st, err)
	}
	for _, r := range stub.Requests() {
		if len(r.IDs) != 1 || r.IDs[0] != "selftest#hours" {
			t.Fatalf("self-test offered sections %v", r.IDs)
		}
	}

	stub.SetAnswer(func(llmtest.Request) llmtest.Reply { return llmtest.Reply{Content: "Sure! We are open 9 to 5."} })
	if _, err := newClient(t, stub).SelfTest(context.Background()); ReasonOf(err) != ReasonBadJSON {
		t.Fatalf("a model that ignores the format: reason %q, want %q", ReasonOf(err), ReasonBadJSON)
	}
}
