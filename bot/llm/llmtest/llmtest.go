// Package llmtest is an OpenAI-compatible model for tests: an httptest
// server speaking /v1/chat/completions that records every request, byte
// for byte, and answers as the test says, well or badly.
package llmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
)

// Request is one request the stub received.
type Request struct {
	Body   []byte // exactly as received
	Header http.Header
	System string   // the system message
	User   string   // the user message
	IDs    []string // the section ids the system message offers
}

// Reply is how the stub answers a request.
type Reply struct {
	Status   int    // 200 when zero
	Content  string // the assistant message's content
	Refusal  string // the message's refusal field
	Raw      string // when set, the whole response body instead
	Redirect string // when set, a 307 to this URL
	Hang     bool   // answer nothing until the client gives up
}

// Stub is the model server.
type Stub struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []Request
	answer func(Request) Reply
}

// NewStub starts a stub that answers with answer; it stops when the test
// ends.
func NewStub(tb testing.TB, answer func(Request) Reply) *Stub {
	tb.Helper()
	s := &Stub{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// Endpoint is the stub's base URL, as --llm-endpoint takes it.
func (s *Stub) Endpoint() string { return s.URL + "/v1" }

// Requests returns the requests received so far.
func (s *Stub) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// SetAnswer changes how the stub answers.
func (s *Stub) SetAnswer(answer func(Request) Reply) {
	s.mu.Lock()
	s.answer = answer
	s.mu.Unlock()
}

var sectionID = regexp.MustCompile(`(?m)^\[id: ([^\]]+)\]$`)

func (s *Stub) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := Request{Body: body, Header: r.Header.Clone()}
	var in struct {
		Messages []struct{ Role, Content string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, m := range in.Messages {
		switch m.Role {
		case "system":
			req.System += m.Content
		case "user":
			req.User += m.Content
		}
	}
	for _, m := range sectionID.FindAllStringSubmatch(req.System, -1) {
		req.IDs = append(req.IDs, m[1])
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	answer := s.answer
	s.mu.Unlock()
	rep := answer(req)
	switch {
	case rep.Hang:
		<-r.Context().Done()
		return
	case rep.Redirect != "":
		http.Redirect(w, r, rep.Redirect, http.StatusTemporaryRedirect)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.Status != 0 {
		w.WriteHeader(rep.Status)
	}
	if rep.Raw != "" {
		io.WriteString(w, rep.Raw)
		return
	}
	json.NewEncoder(w).Encode(completion(rep))
}

// completion is an OpenAI-style response holding rep's message.
func completion(rep Reply) map[string]any {
	msg := map[string]any{"role": "assistant", "content": rep.Content}
	if rep.Refusal != "" {
		msg["refusal"] = rep.Refusal
	}
	return map[string]any{"id": "stub", "object": "chat.completion", "model": "stub",
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": "stop"}}}
}

// JSON is the content of a model answer in the JSON the envelope asks for.
func JSON(answer string, sources ...string) string {
	b, _ := json.Marshal(map[string]any{"answer": answer, "sources": sources})
	return string(b)
}

// Good answers well: a sentence citing the first section offered.
func Good(req Request) Reply {
	if len(req.IDs) == 0 {
		return Reply{Content: JSON("I can't tell from our articles.")}
	}
	return Reply{Content: JSON("According to our help article, here is what to do.", req.IDs[0])}
}
