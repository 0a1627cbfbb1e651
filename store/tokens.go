package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Token policy.
const (
	MaxAccessTokenTTL = time.Hour
	MaxTokenTTL       = 10 * 365 * 24 * time.Hour
	MaxAllowFrom      = 32
	// touchEvery limits last-used writes to one a minute per token, unless
	// the address changes.
	touchEvery = time.Minute
)

// Authentication errors. Callers answer all of them alike (401), so a
// caller cannot learn whether a token exists.
var (
	ErrTokenInvalid    = errors.New("store: token is not valid")
	ErrTokenExpired    = errors.New("store: token has expired")
	ErrTokenAddress    = errors.New("store: token is not allowed from this address")
	ErrClientInvalid   = errors.New("store: client authentication failed")
	ErrScopeNotGranted = errors.New("store: scope exceeds what the client holds")
)

// APIToken describes a token; the token itself is never stored.
type APIToken struct {
	ID         int64
	Kind       string // "personal" or "oauth"
	ClientID   int64  // the OAuth client's row, for kind "oauth"
	Name       string
	Hint       string // the last four characters
	Scopes     []string
	AllowFrom  []netip.Prefix
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time
	LastUsedAt time.Time
	LastUsedIP string
}

// Active reports whether the token can still be used at now.
func (t APIToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// State is the token's state at now, in one word: active, revoked or
// expired.
func (t APIToken) State(now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.Active(now):
		return "expired"
	}
	return "active"
}

// NewToken is a personal API token to create.
type NewToken struct {
	Name      string
	Scopes    []string
	TTL       time.Duration // 0: no expiry
	AllowFrom []netip.Prefix
}

// Validate checks the name, scopes and lifetime.
func (t NewToken) Validate() error {
	var v ValidationError
	checkText(&v, "name", t.Name, MaxNameLen, true, "a name")
	validateScopes(&v, t.Scopes)
	if t.TTL < 0 || t.TTL > MaxTokenTTL {
		v.add("ttl", "Choose a lifetime between none and ten years.")
	}
	if len(t.AllowFrom) > MaxAllowFrom {
		v.add("allow_from", fmt.Sprintf("List at most %d addresses.", MaxAllowFrom))
	}
	return v.err()
}

func validateScopes(v *ValidationError, scopes []string) {
	if len(scopes) == 0 {
		v.add("scopes", "Choose at least one scope.")
	}
	for _, s := range scopes {
		if !slices.Contains(APIScopes, s) {
			v.add("scopes", "Unknown scope.")
		}
	}
}

func actorString(a Actor) string { return a.Type + ":" + a.ID }

// CreateToken stores a new personal token and returns it with the token
// itself, which exists nowhere else afterwards: show it once.
func (db *DB) CreateToken(ctx context.Context, t NewToken, a Actor) (APIToken, string, error) {
	if err := t.Validate(); err != nil {
		return APIToken{}, "", err
	}
	secret := newSecret(PrefixToken)
	now := db.now()
	out := APIToken{Kind: "personal", Name: strings.TrimSpace(t.Name), Hint: secret[len(secret)-4:],
		Scopes: canonicalScopes(t.Scopes), AllowFrom: t.AllowFrom, CreatedBy: actorString(a), CreatedAt: now}
	var expires any
	if t.TTL > 0 {
		out.ExpiresAt = now.Add(t.TTL)
		expires = nanos(out.ExpiresAt)
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (kind, token_hash, hint, name, scopes, allow_from, created_by, created_at, expires_at)
			VALUES ('personal', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, secretHash(secret), out.Hint, out.Name,
			joinScopes(out.Scopes), joinPrefixes(t.AllowFrom), out.CreatedBy, nanos(now), expires).Scan(&out.ID)
		if err != nil {
			return fmt.Errorf("store: create token: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "token.created", tokenTarget(out.ID),
			map[string]any{"scopes": joinScopes(out.Scopes), "expires": !out.ExpiresAt.IsZero()})
	})
	if err != nil {
		return APIToken{}, "", err
	}
	return out, secret, nil
}

func tokenTarget(id int64) string  { return "token:" + strconv.FormatInt(id, 10) }
func clientTarget(id int64) string { return "client:" + strconv.FormatInt(id, 10) }

const tokenColumns = `id, kind, COALESCE(client_id, 0), name, hint, scopes, allow_from, created_by, created_at,
	expires_at, revoked_at, last_used_at, last_used_ip`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var scopes, allow string
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := row.Scan(&t.ID, &t.Kind, &t.ClientID, &t.Name, &t.Hint, &scopes, &allow, &t.CreatedBy, &created,
		&expires, &revoked, &used, &t.LastUsedIP); err != nil {
		return APIToken{}, err
	}
	t.Scopes, t.AllowFrom = splitScopes(scopes), splitPrefixes(allow)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromNanos(created), fromNullNanos(expires), fromNullNanos(revoked), fromNullNanos(used)
	return t, nil
}

// ListTokens returns the personal tokens, newest first, revoked included.
func (db *DB) ListTokens(ctx context.Context) ([]APIToken, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE kind = 'personal' ORDER BY id DESC")
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetToken returns a token by id.
func (db *DB) GetToken(ctx context.Context, id int64) (APIToken, error) {
	t, err := scanToken(db.read.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, ErrNotFound
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("store: get token: %w", err)
	}
	return t, nil
}

// RevokeToken ends a personal token at once. Revoking a revoked token is
// ErrNotFound.
func (db *DB) RevokeToken(ctx context.Context, id int64, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND kind = 'personal' AND revoked_at IS NULL",
			nanos(db.now()), id))
		if err != nil {
			return fmt.Errorf("store: revoke token: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return db.appendAudit(ctx, tx, a, "token.revoked", tokenTarget(id), nil)
	})
}

// Principal is who an API request acts as: the token and what it may do.
type Principal struct {
	TokenID   int64
	Kind      string // "personal" or "oauth"
	ClientID  int64  // OAuth client row, for kind "oauth"
	Name      string
	Scopes    []string
	ExpiresAt time.Time
}

// Has reports whether the principal holds scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Actor names the principal in the audit log.
func (p Principal) Actor(clientIP string) Actor {
	id := strconv.FormatInt(p.TokenID, 10)
	if p.Kind == "oauth" {
		id = "client:" + strconv.FormatInt(p.ClientID, 10)
	}
	return Actor{Type: ActorToken, ID: id, ClientIP: clientIP}
}

// tokenAuthSQL is AuthenticateToken's query, prepared once (statements.go).
const tokenAuthSQL = `SELECT t.id, t.kind, COALESCE(t.client_id, 0), t.name, t.scopes, t.allow_from,
		t.expires_at, t.revoked_at, t.last_used_at, t.last_used_ip,
		c.id IS NOT NULL, COALESCE(c.scopes, ''), COALESCE(c.allow_from, ''), c.revoked_at
	FROM api_tokens t LEFT JOIN oauth_clients c ON c.id = t.client_id WHERE t.token_hash = ?`

// AuthenticateToken finds the live token behind secret, checks its expiry
// and address list, and notes when and from where it was last used. An OAuth
// access token holds at most its client's current scopes, and dies with its
// client.
func (db *DB) AuthenticateToken(ctx context.Context, secret string, ip netip.Addr) (Principal, error) {
	if !SecretLooksValid(secret, PrefixToken) && !SecretLooksValid(secret, PrefixAccessToken) {
		return Principal{}, ErrTokenInvalid
	}
	var p Principal
	var scopes, allow, clientScopes, clientAllow, lastIP string
	var expires, revoked, lastUsed, clientRevoked sql.NullInt64
	var hasClient bool
	err := db.stmts.tokenAuth.QueryRowContext(ctx, secretHash(secret)).Scan(
		&p.TokenID, &p.Kind, &p.ClientID, &p.Name, &scopes, &allow, &expires, &revoked, &lastUsed, &lastIP,
		&hasClient, &clientScopes, &clientAllow, &clientRevoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrTokenInvalid
	}
	if err != nil {
		return Principal{}, fmt.Errorf("store: authenticate: %w", err)
	}
	now := db.now()
	p.ExpiresAt = fromNullNanos(expires)
	p.Scopes = splitScopes(scopes)
	switch {
	case revoked.Valid:
		return Principal{}, ErrTokenInvalid
	case p.Kind == "oauth" && (!hasClient || clientRevoked.Valid):
		return Principal{}, ErrTokenInvalid
	case !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt):
		return p, ErrTokenExpired
	case !allowed(allow, ip) || (p.Kind == "oauth" && !allowed(clientAllow, ip)):
		return p, ErrTokenAddress
	}
	if p.Kind == "oauth" {
		cs := splitScopes(clientScopes)
		p.Scopes = slices.DeleteFunc(p.Scopes, func(s string) bool { return !slices.Contains(cs, s) })
	}
	ipText := ""
	if ip.IsValid() {
		ipText = ip.Unmap().String()
	}
	if !lastUsed.Valid || now.Sub(fromNanos(lastUsed.Int64)) >= touchEvery || lastIP != ipText {
		if _, err := db.write.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = ?, last_used_ip = ? WHERE id = ?",
			nanos(now), ipText, p.TokenID); err != nil {
			return Principal{}, fmt.Errorf("store: authenticate: %w", err)
		}
	}
	return p, nil
}

// DeleteExpiredAccessTokens removes OAuth access tokens that expired more
// than a day ago; the day keeps "expired" answers meaningful a while.
func (db *DB) DeleteExpiredAccessTokens(ctx context.Context) (int64, error) {
	res, err := db.write.ExecContext(ctx, "DELETE FROM api_tokens WHERE kind = 'oauth' AND expires_at < ?",
		nanos(db.now().Add(-24*time.Hour)))
	if err != nil {
		return 0, fmt.Errorf("store: expire tokens: %w", err)
	}
	return res.RowsAffected()
}
