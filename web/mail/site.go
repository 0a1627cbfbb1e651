package mail

import (
	"fmt"
	"net/url"
)

// Site is what mail says about its sender: the product's name and the
// base URL that links point under.
type Site struct {
	Product string
	BaseURL *url.URL
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
	text += "If you did not contact us, you can ignore this email.\n\n" + s.Product + " support\n"
	return Message{Kind: "ticket_received", To: to, Subject: fmt.Sprintf("[%s] We received your request #%d", s.Product, id), Text: text}
}
