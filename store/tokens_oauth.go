package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// OAuthClient is an OAuth2 client of the client-credentials grant. Its
// secret is stored only as a hash.
type OAuthClient struct {
	ID         int64
	ClientID   string
	Name       string
	Scopes     []string
	AllowFrom  []netip.Prefix
	CreatedBy  string
	CreatedAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
	LastUsedIP string
}

// NewClient is an OAuth2 client to create.
type NewClient struct {
	Name      string
	Scopes    []string
	AllowFrom []netip.Prefix
}

// Validate checks the name and scopes.
func (c NewClient) Validate() error {
	var v ValidationError
	checkText(&v, "name", c.Name, MaxNameLen, true, "a name")
	validateScopes(&v, c.Scopes)
	if len(c.AllowFrom) > MaxAllowFrom {
		v.add("allow_from", fmt.Sprintf("List at most %d addresses.", MaxAllowFrom))
	}
	return v.err()
}

// CreateClient stores a new client and returns it with its secret, which
// exists nowhere else afterwards: show it once.
func (db *DB) CreateClient(ctx context.Context, c NewClient, a Actor) (OAuthClient, string, error) {
	if err := c.Validate(); err != nil {
		return OAuthClient{}, "", err
	}
	secret := newSecret(PrefixClientSecret)
	id := newSecret(PrefixClientID)
	now := db.now()
	out := OAuthClient{ClientID: id, Name: strings.TrimSpace(c.Name), Scopes: canonicalScopes(c.Scopes),
		AllowFrom: c.AllowFrom, CreatedBy: actorString(a), CreatedAt: now}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO oauth_clients (client_id, secret_hash, name, scopes, allow_from, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, secretHash(secret), out.Name, joinScopes(out.Scopes),
			joinPrefixes(c.AllowFrom), out.CreatedBy, nanos(now)).Scan(&out.ID)
		if err != nil {
			return fmt.Errorf("store: create client: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "client.created", clientTarget(out.ID), map[string]any{"scopes": joinScopes(out.Scopes)})
	})
	if err != nil {
		return OAuthClient{}, "", err
	}
	return out, secret, nil
}

const clientColumns = "id, client_id, secret_hash, name, scopes, allow_from, created_by, created_at, revoked_at, last_used_at, last_used_ip"

func scanClient(row interface{ Scan(...any) error }) (OAuthClient, []byte, error) {
	var c OAuthClient
	var hash []byte
	var scopes, allow string
	var created int64
	var revoked, used sql.NullInt64
	if err := row.Scan(&c.ID, &c.ClientID, &hash, &c.Name, &scopes, &allow, &c.CreatedBy, &created, &revoked, &used, &c.LastUsedIP); err != nil {
		return OAuthClient{}, nil, err
	}
	c.Scopes, c.AllowFrom = splitScopes(scopes), splitPrefixes(allow)
	c.CreatedAt, c.RevokedAt, c.LastUsedAt = fromNanos(created), fromNullNanos(revoked), fromNullNanos(used)
	return c, hash, nil
}

// ListClients returns every client, newest first, revoked included.
func (db *DB) ListClients(ctx context.Context) ([]OAuthClient, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+clientColumns+" FROM oauth_clients ORDER BY id DESC")
	if err != nil {
		return nil, fmt.Errorf("store: list clients: %w", err)
	}
	defer rows.Close()
	var out []OAuthClient
	for rows.Next() {
		c, _, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list clients: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RevokeClient ends a client and every access token it holds, at once.
func (db *DB) RevokeClient(ctx context.Context, id int64, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		now := nanos(db.now())
		n, err := changed(tx.ExecContext(ctx, "UPDATE oauth_clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id))
		if err != nil {
			return fmt.Errorf("store: revoke client: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL", now, id); err != nil {
			return fmt.Errorf("store: revoke client: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "client.revoked", clientTarget(id), nil)
	})
}

// dummySecretHash is compared against when a client id is unknown, so an
// unknown id and a wrong secret take the same time.
var dummySecretHash = secretHash(PrefixClientSecret + strings.Repeat("0", secretRandLen+checksumLen))

// AuthenticateClient checks a client's id and secret and its address list.
// Every failure is ErrClientInvalid, wrapped with the reason for the log.
func (db *DB) AuthenticateClient(ctx context.Context, clientID, secret string, ip netip.Addr) (OAuthClient, error) {
	c, hash, err := scanClient(db.read.QueryRowContext(ctx, "SELECT "+clientColumns+" FROM oauth_clients WHERE client_id = ?", clientID))
	found := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		hash = dummySecretHash
	} else if err != nil {
		return OAuthClient{}, fmt.Errorf("store: authenticate client: %w", err)
	}
	match := subtle.ConstantTimeCompare(hash, secretHash(secret)) == 1
	switch {
	case !found:
		return OAuthClient{}, fmt.Errorf("%w: unknown client", ErrClientInvalid)
	case !match:
		return c, fmt.Errorf("%w: wrong secret", ErrClientInvalid)
	case !c.RevokedAt.IsZero():
		return c, fmt.Errorf("%w: revoked", ErrClientInvalid)
	case !allowed(joinPrefixes(c.AllowFrom), ip):
		return c, fmt.Errorf("%w: %w", ErrClientInvalid, ErrTokenAddress)
	}
	return c, nil
}

// IssueAccessToken makes an access token for an authenticated client with
// the scopes asked for (all of the client's when none are), which must be
// among the client's own. ttl is capped at MaxAccessTokenTTL. It returns the
// token, once, and what was granted.
func (db *DB) IssueAccessToken(ctx context.Context, c OAuthClient, scopes []string, ttl time.Duration, ip netip.Addr, a Actor) (string, Principal, error) {
	if len(scopes) == 0 {
		scopes = c.Scopes
	}
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return "", Principal{}, ErrScopeNotGranted
		}
	}
	if ttl <= 0 || ttl > MaxAccessTokenTTL {
		ttl = MaxAccessTokenTTL
	}
	secret := newSecret(PrefixAccessToken)
	now := db.now()
	p := Principal{Kind: "oauth", ClientID: c.ID, Name: c.Name, Scopes: canonicalScopes(scopes), ExpiresAt: now.Add(ttl)}
	ipText := ""
	if ip.IsValid() {
		ipText = ip.Unmap().String()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT revoked_at FROM oauth_clients WHERE id = ?", c.ID).Scan(&revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%w: unknown client", ErrClientInvalid)
		case err != nil:
			return fmt.Errorf("store: issue token: %w", err)
		case revoked.Valid:
			return fmt.Errorf("%w: revoked", ErrClientInvalid) // since it authenticated
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO api_tokens (kind, client_id, token_hash, hint, name, scopes, allow_from, created_by, created_at, expires_at)
			VALUES ('oauth', ?, ?, ?, ?, ?, '', ?, ?, ?) RETURNING id`, c.ID, secretHash(secret), secret[len(secret)-4:], c.Name,
			joinScopes(p.Scopes), actorString(a), nanos(now), nanos(p.ExpiresAt)).Scan(&p.TokenID)
		if err != nil {
			return fmt.Errorf("store: issue token: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE oauth_clients SET last_used_at = ?, last_used_ip = ? WHERE id = ?", nanos(now), ipText, c.ID); err != nil {
			return fmt.Errorf("store: issue token: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "oauth.token_issued", clientTarget(c.ID),
			map[string]any{"token": p.TokenID, "scopes": joinScopes(p.Scopes), "ttl_s": int64(ttl / time.Second)})
	})
	if err != nil {
		return "", Principal{}, err
	}
	return secret, p, nil
}
