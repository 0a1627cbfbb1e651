package security

import (
	"strings"
)

// Mail loops: an automatic answer to an automatic message can start two
// machines mailing each other for ever. RFC 3834 says when not to answer
// automatically; AutoReplyRefusal applies it, with the usual additions
// (mailing-list headers, Microsoft's X-Auto-Response-Suppress, addresses
// that take no mail). A person's reply is never refused by it: it decides
// only about mail that safedesk would send on its own.

// MailHeaders are the header values of one incoming message that decide
// whether it may be answered automatically.
type MailHeaders struct {
	From                  string // the From address
	ReturnPath            string // the envelope sender, without <>
	HasReturnPath         bool   // a Return-Path field is present (an empty one means a bounce)
	AutoSubmitted         string
	Precedence            string
	ListID                string
	ListUnsubscribe       string
	XAutoResponseSuppress string
	XAutoreply            string // X-Autoreply, X-Autorespond: set by some vacation responders
}

// noReplyLocals are local parts of addresses that send mail but read none.
var noReplyLocals = []string{"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"}

// AutoReplyRefusal returns why an automatic reply to a message with h must
// not be sent, or "" when it may. own lists our own addresses (the support
// address, the sender of our mail): mail from them is never answered.
func AutoReplyRefusal(h MailHeaders, own []string) string {
	switch {
	case IsAutomatic(h):
		return "the message is automatic (Auto-Submitted, Precedence or an auto-reply header)"
	case h.ListID != "" || h.ListUnsubscribe != "":
		return "the message came through a mailing list"
	case h.HasReturnPath && strings.TrimSpace(h.ReturnPath) == "":
		return "the message has an empty return path (a bounce or a notification)"
	case suppressesAutoReply(h.XAutoResponseSuppress):
		return "the sender asked for no automatic replies (X-Auto-Response-Suppress)"
	case isNoReplyAddress(h.From) || (h.ReturnPath != "" && isNoReplyAddress(h.ReturnPath)):
		return "the sender is a mailer daemon or an address that takes no mail"
	case IsOwnAddress(h.From, own) || (h.ReturnPath != "" && IsOwnAddress(h.ReturnPath, own)):
		return "the message comes from our own address"
	}
	return ""
}

// IsAutomatic reports whether a message says it was sent by a machine: an
// Auto-Submitted other than "no" (RFC 3834), Precedence bulk, junk, list or
// auto_reply, or a vacation responder's X-Autoreply. Such a message is
// never answered and never reopens a ticket.
func IsAutomatic(h MailHeaders) bool {
	as := headerToken(h.AutoSubmitted)
	if as != "" && as != "no" {
		return true
	}
	switch headerToken(h.Precedence) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	return strings.TrimSpace(h.XAutoreply) != ""
}

// IsAutoReply reports whether a message is an automatic answer to another
// (an out-of-office or vacation notice): Auto-Submitted: auto-replied,
// Precedence: auto_reply or a vacation responder's X-Autoreply.
func IsAutoReply(h MailHeaders) bool {
	return headerToken(h.AutoSubmitted) == "auto-replied" || headerToken(h.Precedence) == "auto_reply" ||
		strings.TrimSpace(h.XAutoreply) != ""
}

// headerToken is the first token of a header value, lower-cased, without
// parameters or comments: "auto-replied; owner-email=…" is "auto-replied".
func headerToken(v string) string {
	v = stripComments(v)
	v, _, _ = strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(v))
}

// suppressesAutoReply reads Microsoft's X-Auto-Response-Suppress, a list
// such as "DR, RN, NRN, OOF, AutoReply" or "All".
func suppressesAutoReply(v string) bool {
	for _, f := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ',' || r == ' ' }) {
		if f == "all" || f == "autoreply" || f == "oof" {
			return true
		}
	}
	return false
}

// isNoReplyAddress reports whether addr's local part (without a +tag) is
// one that reads no mail.
func isNoReplyAddress(addr string) bool {
	local, _ := splitAddress(addr)
	for _, l := range noReplyLocals {
		if local == l {
			return true
		}
	}
	return false
}

// IsOwnAddress reports whether addr is one of own, or a plus address of
// one (support+anything@example.com is support@example.com), compared in
// their canonical form (CanonicalEmail).
func IsOwnAddress(addr string, own []string) bool {
	local, domain := splitAddress(addr)
	if domain == "" {
		return false
	}
	for _, o := range own {
		ol, od := splitAddress(o)
		if ol == local && od == domain {
			return true
		}
	}
	return false
}

// splitAddress returns an address's local part without any +tag, and its
// domain, in their canonical form (NormalizeEmail); angle brackets are
// removed.
func splitAddress(addr string) (local, domain string) {
	addr = NormalizeEmail(strings.Trim(strings.TrimSpace(addr), "<>"))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr, ""
	}
	local, domain = addr[:at], addr[at+1:]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return local, strings.TrimSuffix(domain, ".")
}
