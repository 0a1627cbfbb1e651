package mail

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
)

// Site is what mail says about its sender: the product's name and the
// base URL that links point under. Brand, when set, holds the name and
// website the owner set in the panel, which win over Product; copies of a
// Site share it.
type Site struct {
	Product string
	BaseURL *url.URL
	Brand   *Brand
}

// Brand is the business's name and website as the panel's settings last
// set them; safe for concurrent use.
type Brand struct{ v atomic.Pointer[brandValue] }

type brandValue struct{ name, site string }

// Set records the business's name ("" for Site.Product) and website ("" for
// none).
func (b *Brand) Set(name, site string) { b.v.Store(&brandValue{name, site}) }

// Name is the business's name: the panel's, else Product.
func (s Site) Name() string {
	if s.Brand != nil {
		if v := s.Brand.v.Load(); v != nil && v.name != "" {
			return v.name
		}
	}
	return s.Product
}

// Signature closes a customer's mail: the business's name and, when set,
// its website.
func (s Site) Signature() string {
	sig := s.Name() + " support\n"
	if s.Brand != nil {
		if v := s.Brand.v.Load(); v != nil && v.site != "" {
			sig += v.site + "\n"
		}
	}
	return sig
}

// EndSentence ends s with a full stop unless it ends with one already, so
// that "Nordic Brew Co." never becomes "Nordic Brew Co..".
func EndSentence(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// Link is the absolute URL of path under the base URL.
func (s Site) Link(path string) string {
	u := *s.BaseURL
	u.Path = path
	return u.String()
}

// TicketReceived confirms request id to the address it came from: with a
// one-time code to follow it when code is set (an unverified visitor),
// else with a link to the customer's tickets.
func (s Site) TicketReceived(to string, id int64, code string) Message {
	text := fmt.Sprintf("Hello,\n\nwe have received your request #%d.\n\n", id)
	if code != "" {
		text += fmt.Sprintf("To follow it and read our replies, enter this code at %s :\n\n    %s\n\n"+
			"The code is valid for 10 minutes. Never share it: nobody from our team will ask you for it.\n\n", s.Link("/verify"), code)
	} else {
		text += fmt.Sprintf("You can follow it at %s\n\n", s.Link("/tickets"))
	}
	text += "If you did not contact us, you can ignore this email.\n\n" + s.Signature()
	return Message{Kind: "ticket_received", To: to, Subject: fmt.Sprintf("[%s] We received your request #%d", s.Name(), id), Text: text}
}
