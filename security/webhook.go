package security

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook signing follows the Standard Webhooks specification
// (https://www.standardwebhooks.com): a webhook-id, a webhook-timestamp and
// a webhook-signature header, the signature being HMAC-SHA256 of
// "id.timestamp.body" under the secret.

// webhookSecretPrefix marks a Standard Webhooks secret.
const webhookSecretPrefix = "whsec_"

// WebhookTolerance is the clock difference VerifyWebhook accepts by default,
// the value the Standard Webhooks libraries use.
const WebhookTolerance = 5 * time.Minute

// NewWebhookSecret returns a new random secret: "whsec_" followed by the
// standard base64 encoding of 32 random bytes.
func NewWebhookSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // never fails; see crypto/rand.Read
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// ParseWebhookSecret returns the HMAC key of a secret: the base64-decoded
// part after "whsec_" (the prefix may be left out). Keys of 24 to 64 bytes
// are accepted, as the specification asks.
func ParseWebhookSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, webhookSecretPrefix))
	if err != nil {
		return nil, errors.New("security: webhook secret is not whsec_ followed by base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("security: webhook secret holds %d bytes, want 24 to 64", len(key))
	}
	return key, nil
}

// webhookSignature returns the raw HMAC-SHA256 of "msgID.unix.body".
func webhookSignature(key []byte, msgID string, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	var buf [24]byte
	m.Write([]byte(msgID))
	m.Write(strconv.AppendInt(append(buf[:0], '.'), unix, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// SignWebhook returns the webhook-signature header value for a message:
// "v1," followed by the base64 HMAC-SHA256, keyed with the decoded secret,
// of msgID, ".", ts in Unix seconds, ".", and body. It fails only if secret
// does not parse (see ParseWebhookSecret).
func SignWebhook(secret string, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := ParseWebhookSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(webhookSignature(key, msgID, ts.Unix(), body)), nil
}

// SetWebhookHeaders signs a message and sets the three Standard Webhooks
// headers on h: webhook-id, webhook-timestamp and webhook-signature. msgID
// must stay the same when a delivery is retried, so receivers can
// deduplicate; ts is the time of this attempt.
func SetWebhookHeaders(h http.Header, secret, msgID string, ts time.Time, body []byte) error {
	sig, err := SignWebhook(secret, msgID, ts, body)
	if err != nil {
		return err
	}
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	return nil
}

// VerifyWebhook checks a received webhook: webhook-id must be present,
// webhook-timestamp must be within tolerance of now in either direction
// (tolerance <= 0 means WebhookTolerance), and one of the space-separated
// "v1,<base64>" entries of webhook-signature must match, compared in
// constant time. Entries of other versions are ignored.
func VerifyWebhook(secret string, headers http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := ParseWebhookSecret(secret)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = WebhookTolerance
	}
	msgID := headers.Get("webhook-id")
	tsText := headers.Get("webhook-timestamp")
	sigs := headers.Get("webhook-signature")
	if msgID == "" || tsText == "" || sigs == "" {
		return errors.New("security: webhook is missing the webhook-id, webhook-timestamp or webhook-signature header")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errors.New("security: webhook timestamp is not a number of seconds")
	}
	// Compare bounds rather than now-ts, which an absurd ts would overflow.
	n, limit := now.Unix(), int64(tolerance/time.Second)
	if ts < n-limit {
		return errors.New("security: webhook timestamp is too old")
	}
	if ts > n+limit {
		return errors.New("security: webhook timestamp is too far in the future")
	}
	want := webhookSignature(key, msgID, ts, body)
	for _, entry := range strings.Fields(sigs) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("security: webhook signature does not match")
}

// BackoffDelay returns how long to wait before retry number attempt (0 for
// the first retry): a uniformly random duration between 0 and
// min(maxDelay, base * 2^attempt) ("full jitter"). rnd returns a number in
// [0, 1), such as math/rand/v2.Float64; nil means exactly that.
func BackoffDelay(attempt int, base, maxDelay time.Duration, rnd func() float64) time.Duration {
	if base <= 0 || maxDelay <= 0 {
		return 0
	}
	ceiling := min(base, maxDelay)
	for i := 0; i < attempt && ceiling < maxDelay; i++ {
		if ceiling > maxDelay/2 {
			ceiling = maxDelay
			break
		}
		ceiling *= 2
	}
	if rnd == nil {
		rnd = mathrand.Float64
	}
	f := rnd()
	if !(f >= 0) { // also catches NaN
		f = 0
	}
	if f >= 1 {
		return ceiling
	}
	return time.Duration(f * float64(ceiling))
}
