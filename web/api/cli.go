package api

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"safedesk/store"
)

// The command line's view of API credentials: what `safedesk token` and
// `safedesk client` take and print.

// Grant is what `safedesk token create` and `safedesk client create` take.
type Grant struct {
	Scopes, Name, AllowFrom string
	TTL                     time.Duration // tokens only
}

// Flags adds the flags of create; what is "the token" or "the client".
func (g *Grant) Flags(fs *flag.FlagSet, what, scopesHelp, allowHelp string) {
	fs.StringVar(&g.Scopes, "scopes", "", scopesHelp)
	fs.StringVar(&g.Name, "name", "command line", "a name to recognise "+what+" by")
	fs.StringVar(&g.AllowFrom, "allow-from", "", "comma-separated addresses or CIDRs "+what+" "+allowHelp+"; empty: anywhere")
}

// Parse reads the scopes and the allowed networks; its errors name the flag.
func (g Grant) Parse() ([]string, []netip.Prefix, error) {
	if strings.TrimSpace(g.Scopes) == "" {
		return nil, nil, errors.New("--scopes is required, e.g. --scopes tickets:read,kb:read")
	}
	sc, err := store.ParseScopes(g.Scopes)
	if err != nil {
		return nil, nil, errors.New("--scopes: " + strings.TrimPrefix(err.Error(), "store: "))
	}
	prefixes, err := store.ParseAllowFrom(g.AllowFrom)
	if err != nil {
		return nil, nil, errors.New("--allow-from: " + strings.TrimPrefix(err.Error(), "store: "))
	}
	return sc, prefixes, nil
}

// WriteTokenCreated prints a new token: what it may do, then the secret,
// once, alone on the last line.
func WriteTokenCreated(w io.Writer, t store.APIToken, secret string) error {
	expires := "never"
	if !t.ExpiresAt.IsZero() {
		expires = t.ExpiresAt.Format(time.RFC3339)
	}
	_, err := fmt.Fprintf(w, "token %d %q created: scopes %s; expires %s\nIt is shown only now and cannot be recovered; store it in a secret manager:\n%s\n",
		t.ID, t.Name, strings.Join(t.Scopes, ","), expires, secret)
	return err
}

// WriteTokens prints one tab-separated line per token: id, state at now,
// hint, scopes, name.
func WriteTokens(w io.Writer, ts []store.APIToken, now time.Time) error {
	for _, t := range ts {
		if _, err := fmt.Fprintf(w, "%d\t%s\t…%s\t%s\t%s\n", t.ID, t.State(now), t.Hint, strings.Join(t.Scopes, ","), t.Name); err != nil {
			return err
		}
	}
	return nil
}

// WriteClientCreated prints a new OAuth2 client: its client_id and its
// client_secret, shown once.
func WriteClientCreated(w io.Writer, c store.OAuthClient, secret string) error {
	_, err := fmt.Fprintf(w, "client %d %q created: scopes %s; the secret is shown only now\nclient_id %s\nclient_secret %s\n",
		c.ID, c.Name, strings.Join(c.Scopes, ","), c.ClientID, secret)
	return err
}

// WriteClients prints one tab-separated line per client: id, state,
// client_id, scopes, name.
func WriteClients(w io.Writer, cs []store.OAuthClient) error {
	for _, c := range cs {
		state := "active"
		if !c.RevokedAt.IsZero() {
			state = "revoked"
		}
		if _, err := fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", c.ID, state, c.ClientID, strings.Join(c.Scopes, ","), c.Name); err != nil {
			return err
		}
	}
	return nil
}
