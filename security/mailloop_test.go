package security

import (
	"strings"
	"testing"
)

func TestAutoReplyRefusal(t *testing.T) {
	own := []string{"support@shop.example", "Shop <noreply@shop.example>"}
	person := MailHeaders{From: "anna@example.com", ReturnPath: "anna@example.com", HasReturnPath: true}
	with := func(f func(*MailHeaders)) MailHeaders {
		h := person
		f(&h)
		return h
	}
	for _, tt := range []struct {
		name string
		h    MailHeaders
		want string // "" for allowed, else a word of the reason
	}{
		{"a person writing", person, ""},
		{"Auto-Submitted: no is a person", with(func(h *MailHeaders) { h.AutoSubmitted = "no" }), ""},
		{"no Return-Path field at all", with(func(h *MailHeaders) { h.HasReturnPath, h.ReturnPath = false, "" }), ""},
		{"Auto-Submitted: auto-replied (out of office)", with(func(h *MailHeaders) { h.AutoSubmitted = "auto-replied" }), "automatic"},
		{"Auto-Submitted with parameters", with(func(h *MailHeaders) { h.AutoSubmitted = "Auto-Generated; owner-email=x@y" }), "automatic"},
		{"Precedence: bulk", with(func(h *MailHeaders) { h.Precedence = "bulk" }), "automatic"},
		{"Precedence: junk", with(func(h *MailHeaders) { h.Precedence = "junk" }), "automatic"},
		{"Precedence: list", with(func(h *MailHeaders) { h.Precedence = "list" }), "automatic"},
		{"X-Autoreply", with(func(h *MailHeaders) { h.XAutoreply = "yes" }), "automatic"},
		{"List-Id", with(func(h *MailHeaders) { h.ListID = "<news.example.com>" }), "mailing list"},
		{"List-Unsubscribe", with(func(h *MailHeaders) { h.ListUnsubscribe = "<mailto:u@example.com>" }), "mailing list"},
		{"an empty return path", with(func(h *MailHeaders) { h.ReturnPath = "" }), "empty return path"},
		{"X-Auto-Response-Suppress: All", with(func(h *MailHeaders) { h.XAutoResponseSuppress = "All" }), "X-Auto-Response-Suppress"},
		{"X-Auto-Response-Suppress: DR, OOF, AutoReply", with(func(h *MailHeaders) { h.XAutoResponseSuppress = "DR, OOF, AutoReply" }), "X-Auto-Response-Suppress"},
		{"X-Auto-Response-Suppress: DR only", with(func(h *MailHeaders) { h.XAutoResponseSuppress = "DR, RN" }), ""},
		{"MAILER-DAEMON", with(func(h *MailHeaders) { h.From = "MAILER-DAEMON@mx.example.com" }), "mailer daemon"},
		{"postmaster", with(func(h *MailHeaders) { h.From = "postmaster@example.com" }), "mailer daemon"},
		{"a no-reply sender", with(func(h *MailHeaders) { h.From = "no-reply@shop.example.net" }), "mailer daemon"},
		{"our support address", with(func(h *MailHeaders) { h.From = "Support@Shop.Example" }), "our own address"},
		{"our plus address", with(func(h *MailHeaders) { h.From = "support+42-abc@shop.example" }), "our own address"},
		{"our own return path", with(func(h *MailHeaders) { h.ReturnPath = "support@shop.example" }), "our own address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := AutoReplyRefusal(tt.h, own)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("AutoReplyRefusal = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsOwnAddress(t *testing.T) {
	own := []string{"support@shop.example"}
	for addr, want := range map[string]bool{
		"support@shop.example":       true,
		"<SUPPORT@shop.example>":     true,
		"support+t1@shop.example":    true,
		"support@other.example":      false,
		"supportx@shop.example":      false,
		"anna+support@shop.example":  false,
		"support@shop.example.":      true,
		"not an address":             false,
		"support+@shop.example.evil": false,
	} {
		if got := IsOwnAddress(addr, own); got != want {
			t.Errorf("IsOwnAddress(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestReplyToken(t *testing.T) {
	b, err := NewBlindIndex(NewDataKey())
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewBlindIndex(NewDataKey())
	if err != nil {
		t.Fatal(err)
	}
	tok := ReplyToken(b, 42)
	if !strings.HasPrefix(tok, "42-") || len(tok) != len("42-")+16 {
		t.Fatalf("token %q: want 42- and 16 letters", tok)
	}
	if id, ok := ParseReplyToken(b, tok); !ok || id != 42 {
		t.Errorf("ParseReplyToken(own token) = %d, %v", id, ok)
	}
	if id, ok := ParseReplyToken(b, strings.ToUpper(tok)); !ok || id != 42 {
		t.Errorf("an upper-cased token (a mail system changed case) = %d, %v", id, ok)
	}
	mac := strings.TrimPrefix(tok, "42-")
	for _, bad := range []string{
		"43-" + mac,            // another ticket with this ticket's MAC
		"042-" + mac,           // the same number written differently
		"42-" + mac[:15],       // truncated
		"42-" + mac[:15] + "a", // one letter changed (unless it was a)
		ReplyToken(other, 42),  // another installation's key
		"42", "", "-" + mac, "x-" + mac, "42-" + mac + "-1",
		"99999999999999999999-" + mac, // out of range
	} {
		if bad == "42-"+mac {
			continue
		}
		if id, ok := ParseReplyToken(b, bad); ok {
			t.Errorf("ParseReplyToken(%q) = %d, true; want refused", bad, id)
		}
	}
}

func TestIsAutoReply(t *testing.T) {
	for _, tt := range []struct {
		h    MailHeaders
		want bool
	}{
		{MailHeaders{AutoSubmitted: "auto-replied"}, true},
		{MailHeaders{AutoSubmitted: "Auto-Replied; by=vacation"}, true},
		{MailHeaders{Precedence: "auto_reply"}, true},
		{MailHeaders{XAutoreply: "yes"}, true},
		{MailHeaders{AutoSubmitted: "auto-generated"}, false}, // a web form's notice is a request
		{MailHeaders{Precedence: "bulk"}, false},
		{MailHeaders{}, false},
	} {
		if got := IsAutoReply(tt.h); got != tt.want {
			t.Errorf("IsAutoReply(%+v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}
