package mail

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Error is a mail that was not sent, described so that it may be logged:
// the kind of mail, the step that failed and the relay's SMTP status. It
// never holds the recipient, the subject or the text; go-mail's own error
// text names the recipient, so it is not kept.
type Error struct {
	Kind      string // Message.Kind
	Step      string // "connect", "sender", "recipient", "data"…
	Status    int    // the relay's SMTP reply code; 0 when it sent none
	Enhanced  string // the enhanced status code (RFC 3463), when sent
	Temporary bool   // a 4xx reply: the relay may accept it later
	Cause     string // why the relay was not reached (it names only the relay)
}

// Error says which kind of mail failed at which step, with the status.
func (e *Error) Error() string {
	var b strings.Builder
	kind := e.Kind
	if kind == "" {
		kind = "a"
	}
	b.WriteString("mail: " + kind + " mail not sent (" + e.Step + ")")
	if e.Status != 0 {
		b.WriteString(": smtp " + strconv.Itoa(e.Status))
		if e.Enhanced != "" {
			b.WriteString(" " + e.Enhanced)
		}
		if e.Temporary {
			b.WriteString(", temporary")
		} else {
			b.WriteString(", permanent")
		}
	}
	if e.Cause != "" {
		b.WriteString(": " + e.Cause)
	}
	return b.String()
}

// sendError turns go-mail's error into an *Error. Everything about the
// message is in a *gomail.SendError, of which only the step and the
// status are kept; any other error comes from connecting or closing,
// before or after the message, and names the relay at most. A reply of
// the relay is kept as its code, not its text.
func sendError(kind string, err error) *Error {
	e := &Error{Kind: kind, Step: "connect"}
	var se *gomail.SendError
	var tp *textproto.Error
	var ne net.Error
	switch {
	case errors.As(err, &se):
		e.Step, e.Status, e.Enhanced, e.Temporary = sendStep(se.Reason), se.ErrorCode(), se.EnhancedStatusCode(), se.IsTemp()
	case errors.As(err, &tp): // greeting, EHLO, STARTTLS or AUTH refused
		e.Status, e.Temporary = tp.Code, tp.Code/100 == 4
	default: // the relay unreachable, TLS refused, no STARTTLS offered…
		e.Cause = err.Error()
		e.Temporary = errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
	}
	return e
}

// sendStep names the step of a go-mail SendError.
func sendStep(r gomail.SendErrReason) string {
	switch r {
	case gomail.ErrGetSender, gomail.ErrSMTPMailFrom:
		return "sender"
	case gomail.ErrGetRcpts, gomail.ErrSMTPRcptTo:
		return "recipient"
	case gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent, gomail.ErrNoUnencoded:
		return "data"
	case gomail.ErrConnCheck, gomail.ErrSMTPReset:
		return "connection"
	}
	return "send"
}
