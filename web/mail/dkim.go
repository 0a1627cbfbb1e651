package mail

import (
	"bytes"
	"context"
	"net"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// dkimTimeout bounds the DNS lookups of one message's signatures.
const dkimTimeout = 5 * time.Second

// localDKIM verifies the message's DKIM signatures against DNS, when
// --mail-verify-dkim is set, and returns the domains whose signature is
// valid (at most five are checked). The receiver's verdict does not depend
// on it; it is one more signal that no provider header can fake.
func (in *Inbox) localDKIM(ctx context.Context, raw []byte) []string {
	if !in.opts.VerifyDKIM {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, dkimTimeout)
	defer cancel()
	lookup := in.lookupTXT
	if lookup == nil {
		lookup = func(domain string) ([]string, error) { return net.DefaultResolver.LookupTXT(ctx, domain) }
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: 5})
	if err != nil && len(verifs) == 0 {
		return nil
	}
	var out []string
	for _, v := range verifs {
		if v.Err == nil {
			out = append(out, v.Domain)
		}
	}
	return out
}
