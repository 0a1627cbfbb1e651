package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
)

// cliActor is the command line in the audit log: shell access to the
// server is the root of trust.
var cliActor = store.Actor{Type: store.ActorSystem, ID: "cli"}

const tokenUsage = `usage: safedesk token create --scopes S1,S2 [--name N] [--ttl D] [--allow-from CIDRS] [--data DIR]
       safedesk token list [--data DIR]
       safedesk token revoke [--data DIR] ID
scopes: ` + "tickets:read tickets:write customers:read customers:erase kb:read kb:write audit:read security:read webhooks:write"

const clientUsage = `usage: safedesk client create --scopes S1,S2 [--name N] [--allow-from CIDRS] [--data DIR]
       safedesk client list [--data DIR]
       safedesk client revoke [--data DIR] ID`

// runToken manages personal API tokens. create prints the token once, alone
// on its last line.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{tokenUsage}
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	var scopes, name, allow string
	var ttl time.Duration
	if args[0] == "create" {
		fs.StringVar(&scopes, "scopes", "", "comma-separated scopes (required)")
		fs.StringVar(&name, "name", "command line", "a name to recognise the token by")
		fs.DurationVar(&ttl, "ttl", 0, "lifetime, like 720h; 0: no expiry")
		fs.StringVar(&allow, "allow-from", "", "comma-separated addresses or CIDRs the token may be used from; empty: anywhere")
	}
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	switch args[0] {
	case "create":
		if fs.NArg() > 0 {
			return usageError{tokenUsage}
		}
		sc, prefixes, err := scopesAndAddresses(scopes, allow)
		if err != nil {
			return err
		}
		return withStore(ctx, cfg.Data, func(db *store.DB) error {
			t, secret, err := db.CreateToken(ctx, store.NewToken{Name: name, Scopes: sc, TTL: ttl, AllowFrom: prefixes}, cliActor)
			if err := cliValidation(err); err != nil {
				return err
			}
			expires := "never"
			if !t.ExpiresAt.IsZero() {
				expires = t.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "token %d %q created: scopes %s; expires %s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), expires)
			fmt.Fprintln(stdout, "It is shown only now and cannot be recovered; store it in a secret manager:")
			fmt.Fprintln(stdout, secret)
			return nil
		})
	case "list":
		return withStore(ctx, cfg.Data, func(db *store.DB) error {
			ts, err := db.ListTokens(ctx)
			if err != nil {
				return err
			}
			now := db.Now()
			for _, t := range ts {
				state := "active"
				switch {
				case !t.RevokedAt.IsZero():
					state = "revoked"
				case !t.Active(now):
					state = "expired"
				}
				fmt.Fprintf(stdout, "%d\t%s\t…%s\t%s\t%s\n", t.ID, state, t.Hint, strings.Join(t.Scopes, ","), t.Name)
			}
			return nil
		})
	case "revoke":
		id, err := cliID(fs, tokenUsage)
		if err != nil {
			return err
		}
		return withStore(ctx, cfg.Data, func(db *store.DB) error {
			if err := db.RevokeToken(ctx, id, cliActor); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no active personal token %d", id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "token %d revoked\n", id)
			return nil
		})
	}
	return usageError{tokenUsage}
}

// runClient manages OAuth2 clients. create prints client_id and
// client_secret lines; the secret is shown once.
func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{clientUsage}
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("client "+args[0], flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	var scopes, name, allow string
	if args[0] == "create" {
		fs.StringVar(&scopes, "scopes", "", "comma-separated scopes the client may ask for (required)")
		fs.StringVar(&name, "name", "command line", "a name to recognise the client by")
		fs.StringVar(&allow, "allow-from", "", "comma-separated addresses or CIDRs the client may connect from; empty: anywhere")
	}
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	switch args[0] {
	case "create":
		if fs.NArg() > 0 {
			return usageError{clientUsage}
		}
		sc, prefixes, err := scopesAndAddresses(scopes, allow)
		if err != nil {
			return err
		}
		return withStore(ctx, cfg.Data, func(db *store.DB) error {
			c, secret, err := db.CreateClient(ctx, store.NewClient{Name: name, Scopes: sc, AllowFrom: prefixes}, cliActor)
			if err := cliValidation(err); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "client %d %q created: scopes %s; the secret is shown only now\n", c.ID, c.Name, strings.Join(c.Scopes, ","))
			fmt.Fprintf(stdout, "client_id %s\n", c.ClientID)
			fmt.Fprintf(stdout, "client_secret %s\n", secret)
			return nil
		})
	case "list":
		return withStore(ctx, cfg.Data, func(db *store.DB) error {
			cs, err := db.ListClients(ctx)
			if err != nil {
				return err
			}
			for _, c := range cs {
				state := "active"
				if !c.RevokedAt.IsZero() {
					state = "revoked"
				}
				fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\n", c.ID, state, c.ClientID, strings.Join(c.Scopes, ","), c.Name)
			}
			return nil
		})
	case "revoke":
		id, err := cliID(fs, clientUsage)
		if err != nil {
			return err
		}
		return withStore(ctx, cfg.Data, func(db *store.DB) error {
			if err := db.RevokeClient(ctx, id, cliActor); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no active client %d", id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "client %d and its access tokens revoked\n", id)
			return nil
		})
	}
	return usageError{clientUsage}
}

func scopesAndAddresses(scopes, allow string) ([]string, []netip.Prefix, error) {
	if strings.TrimSpace(scopes) == "" {
		return nil, nil, usageError{"--scopes is required, e.g. --scopes tickets:read,kb:read"}
	}
	sc, err := store.ParseScopes(scopes)
	if err != nil {
		return nil, nil, usageError{"--scopes: " + strings.TrimPrefix(err.Error(), "store: ")}
	}
	prefixes, err := store.ParseAllowFrom(allow)
	if err != nil {
		return nil, nil, usageError{"--allow-from: " + strings.TrimPrefix(err.Error(), "store: ")}
	}
	return sc, prefixes, nil
}

func cliID(fs *flag.FlagSet, usage string) (int64, error) {
	if fs.NArg() != 1 {
		return 0, usageError{usage}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{usage}
	}
	return id, nil
}

// cliValidation turns a store validation error into a usage error that
// names the flag.
func cliValidation(err error) error {
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		var parts []string
		for f, msg := range verr.Fields {
			parts = append(parts, "--"+strings.ReplaceAll(f, "_", "-")+": "+msg)
		}
		return usageError{strings.Join(parts, "; ")}
	}
	return err
}

func withStore(ctx context.Context, data string, fn func(*store.DB) error) error {
	db, err := openStore(ctx, data, "", false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// validateAPIFlags checks the API's flags; Config.Validate calls it.
func (c *Config) validateAPIFlags() error {
	if !(c.APIRate > 0) || c.APIRate > 1e6 {
		return usageError{"--api-rate must be a positive number of requests per second"}
	}
	if c.APIBurst < 1 || c.APIBurst > 1e6 {
		return usageError{"--api-burst must be at least 1"}
	}
	return nil
}
