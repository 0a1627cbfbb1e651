// Package llm is the envelope around the optional language model that
// phrases the assistant's answers: it removes personal data from the
// question, builds the request from public knowledge-base sections only,
// talks to the one configured OpenAI-compatible endpoint and nothing else,
// and accepts an answer only if it cites sections it was given, as plain
// text without outside links. The bot decides when it is called; the
// server, never the model, decides what is shown.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"safedesk/security"
)

// Section is one public knowledge-base section the model may use.
type Section struct {
	ID      string // how the model cites it, like "shipping#delivery-times"
	Title   string // the article's title
	Heading string // the section's heading; "" for the article's opening
	Text    string // the section, plain text
}

// Request is one question to answer from sections.
type Request struct {
	// Question is the visitor's message; Answer removes personal data from
	// it before it leaves.
	Question string
	// Known are the verified customer's own values (name, email address),
	// removed wherever they appear in the question; never sent.
	Known    []string
	Lang     string // the language to answer in ("en", "de", …)
	Sections []Section
}

// Answer is the model's answer, checked: plain text, and the ids of the
// sections it cites, each one of those sent, in the order cited.
type Answer struct {
	Text    string
	Sources []string
}

// Client asks the configured endpoint. It is safe for concurrent use.
type Client struct {
	hc       *http.Client
	url      string // the chat completions URL
	model    string
	key      string
	maxBytes int64
	site     *url.URL // this help centre, whose /kb/ links an answer may keep
	// plain is set once the endpoint refused a request for its
	// response_format (some OpenAI-compatible servers reject the field):
	// from then on it is not sent, and the system prompt alone asks for
	// JSON, which check verifies all the same.
	plain atomic.Bool
}

// errOtherHost refuses a connection to anything but the endpoint.
var errOtherHost = errors.New("llm: only the configured endpoint may be dialled")

// New returns a client for o, which Validate accepted; site is this help
// centre's base URL.
func New(o Options, site *url.URL) (*Client, error) {
	if o.url == nil {
		return nil, errors.New("llm: options not validated")
	}
	want := hostPort(o.url)
	hc := security.NewSafeClient(security.SafeClientOptions{
		AllowHosts:            []string{want},
		DialTimeout:           min(o.Timeout, 3*time.Second),
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		Timeout:               o.Timeout,
	})
	t, ok := hc.Transport.(*http.Transport)
	if !ok {
		return nil, errors.New("llm: unexpected transport")
	}
	dial := t.DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, p, err := net.SplitHostPort(addr); err != nil || !strings.EqualFold(net.JoinHostPort(h, p), want) {
			return nil, errOtherHost
		}
		return dial(ctx, network, addr)
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }
	return &Client{hc: hc, url: o.url.String() + "/chat/completions", model: o.Model, key: o.key,
		maxBytes: o.MaxBytes, site: site}, nil
}

// errRedirect refuses every redirect.
var errRedirect = errors.New("llm: the endpoint redirected")

// Answer asks the model to answer req from its sections. Any failure is an
// error that ReasonOf names; the caller then quotes the section itself.
func (c *Client) Answer(ctx context.Context, req Request) (Answer, error) {
	if len(req.Sections) == 0 {
		return Answer{}, failf(ReasonNoSections, "no sections to answer from")
	}
	raw, err := c.ask(ctx, req)
	if err != nil {
		return Answer{}, err
	}
	return check(raw, req.Sections, c.site)
}

// ask sends req. An endpoint that refuses a request for its
// response_format (400 or 422 naming the field) is asked once more without
// it, and never with it again.
func (c *Client) ask(ctx context.Context, req Request) (chatResponse, error) {
	plain := c.plain.Load()
	body, err := c.body(req, plain)
	if err != nil {
		return chatResponse{}, err
	}
	raw, err := c.post(ctx, body)
	var f *failure
	if plain || !errors.As(err, &f) || !f.format {
		return raw, err
	}
	if body, err = c.body(req, true); err != nil {
		return chatResponse{}, err
	}
	raw, err = c.post(ctx, body)
	if err == nil {
		c.plain.Store(true)
	}
	return raw, err
}

// body builds the request body: the server's fixed instructions and the
// sections in the system message, the redacted question, wrapped and
// labelled as untrusted, in the user message; plain leaves out the
// response_format.
func (c *Client) body(req Request, plain bool) ([]byte, error) {
	cr := chatRequest{
		Model: c.model,
		Messages: []chatMessage{
			{Role: "system", Content: systemPrompt(req.Lang, req.Sections)},
			{Role: "user", Content: userPrompt(Redact(req.Question, req.Known))},
		},
		Temperature:    0.2,
		MaxTokens:      500,
		ResponseFormat: &responseFormat{Type: "json_object"},
	}
	if plain {
		cr.ResponseFormat = nil
	}
	b, err := json.Marshal(cr)
	if err != nil {
		return nil, fmt.Errorf("llm: request: %w", err)
	}
	return b, nil
}

// post sends body and returns the model's message, reading no more than
// the cap.
func (c *Client) post(ctx context.Context, body []byte) (chatResponse, error) {
	var out chatResponse
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("llm: request: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	if c.key != "" {
		hr.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return out, transportFailure(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		f := &failure{reason: ReasonStatus, msg: fmt.Sprintf("status %d", resp.StatusCode)}
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity {
			// The error's text, capped, only to tell whether the field
			// was the problem; it is not logged.
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			f.format = bytes.Contains(bytes.ToLower(msg), []byte("response_format"))
		}
		return out, f
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return out, transportFailure(ctx, err)
	}
	if int64(len(raw)) > c.maxBytes {
		return out, failf(ReasonTooLarge, "response over %d bytes", c.maxBytes)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, failf(ReasonBadJSON, "response is not JSON: %v", err)
	}
	return out, nil
}

// transportFailure names why a request or its body failed.
func transportFailure(ctx context.Context, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, errRedirect):
		return failf(ReasonStatus, "redirect refused")
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return failf(ReasonTimeout, "%v", err)
	}
	return failf(ReasonUnreachable, "%v", err)
}

// The wire format of OpenAI-compatible chat completions, as much as used.
type (
	chatRequest struct {
		Model          string          `json:"model"`
		Messages       []chatMessage   `json:"messages"`
		Temperature    float64         `json:"temperature"`
		MaxTokens      int             `json:"max_tokens"`
		ResponseFormat *responseFormat `json:"response_format,omitempty"`
	}
	chatMessage struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	responseFormat struct {
		Type string `json:"type"`
	}
	chatResponse struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
				Refusal string `json:"refusal"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
)
