package security_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"safedesk/security"
)

// The published Standard Webhooks test vector.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorUnix   = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignWebhookStandardVector(t *testing.T) {
	got, err := security.SignWebhook(vectorSecret, vectorID, time.Unix(vectorUnix, 999), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSig {
		t.Errorf("SignWebhook = %s, want %s", got, vectorSig)
	}
}

func webhookVectorHeaders(id, ts, sig string) http.Header {
	h := http.Header{}
	for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}

func TestVerifyWebhook(t *testing.T) {
	at := time.Unix(vectorUnix, 0)
	ts := "1614265330"
	otherSecret := security.NewWebhookSecret()
	tests := []struct {
		name    string
		secret  string
		headers http.Header
		body    string
		now     time.Time
		wantErr string // "" for valid
	}{
		{"standard vector", vectorSecret, webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at, ""},
		{"secret without prefix", strings.TrimPrefix(vectorSecret, "whsec_"), webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at, ""},
		{"one of several signatures (key rotation)", vectorSecret, webhookVectorHeaders(vectorID, ts, "v1,Zm9v "+vectorSig+" v2,abc"), vectorBody, at, ""},
		{"4m59s old", vectorSecret, webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at.Add(4*time.Minute + 59*time.Second), ""},
		{"4m59s ahead", vectorSecret, webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at.Add(-4*time.Minute - 59*time.Second), ""},
		{"tampered body", vectorSecret, webhookVectorHeaders(vectorID, ts, vectorSig), `{"test": 2432232315}`, at, "signature does not match"},
		{"wrong secret", otherSecret, webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at, "signature does not match"},
		{"other message id", vectorSecret, webhookVectorHeaders("msg_other", ts, vectorSig), vectorBody, at, "signature does not match"},
		{"timestamp moved", vectorSecret, webhookVectorHeaders(vectorID, "1614265331", vectorSig), vectorBody, at, "signature does not match"},
		{"signature of another version only", vectorSecret, webhookVectorHeaders(vectorID, ts, "v2,"+strings.TrimPrefix(vectorSig, "v1,")), vectorBody, at, "signature does not match"},
		{"signature not base64", vectorSecret, webhookVectorHeaders(vectorID, ts, "v1,!!!"), vectorBody, at, "signature does not match"},
		{"truncated signature", vectorSecret, webhookVectorHeaders(vectorID, ts, vectorSig[:20]), vectorBody, at, "signature does not match"},
		{"old timestamp", vectorSecret, webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at.Add(5*time.Minute + time.Second), "too old"},
		{"future timestamp", vectorSecret, webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at.Add(-5*time.Minute - time.Second), "too far in the future"},
		{"absurd timestamp", vectorSecret, webhookVectorHeaders(vectorID, "-9223372036854775808", vectorSig), vectorBody, at, "too old"},
		{"absurd future timestamp", vectorSecret, webhookVectorHeaders(vectorID, "9223372036854775807", vectorSig), vectorBody, at, "too far in the future"},
		{"timestamp not a number", vectorSecret, webhookVectorHeaders(vectorID, "2021-02-26", vectorSig), vectorBody, at, "not a number"},
		{"no id", vectorSecret, webhookVectorHeaders("", ts, vectorSig), vectorBody, at, "missing"},
		{"no timestamp", vectorSecret, webhookVectorHeaders(vectorID, "", vectorSig), vectorBody, at, "missing"},
		{"no signature", vectorSecret, webhookVectorHeaders(vectorID, ts, ""), vectorBody, at, "missing"},
		{"unusable secret", "whsec_short", webhookVectorHeaders(vectorID, ts, vectorSig), vectorBody, at, "webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := security.VerifyWebhook(tt.secret, tt.headers, []byte(tt.body), tt.now, 5*time.Minute)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifyWebhook = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "security: ") {
				t.Fatalf("VerifyWebhook = %v, want a security: error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyWebhookDefaultTolerance(t *testing.T) {
	h := webhookVectorHeaders(vectorID, "1614265330", vectorSig)
	at := time.Unix(vectorUnix, 0)
	if err := security.VerifyWebhook(vectorSecret, h, []byte(vectorBody), at.Add(4*time.Minute), 0); err != nil {
		t.Errorf("4 minutes late with tolerance 0: %v, want the 5 minute default to accept it", err)
	}
	if err := security.VerifyWebhook(vectorSecret, h, []byte(vectorBody), at.Add(6*time.Minute), 0); err == nil {
		t.Error("6 minutes late with tolerance 0 accepted, want refused")
	}
}

func TestWebhookRoundTrip(t *testing.T) {
	secret := security.NewWebhookSecret()
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"ticket.created","data":{"id":17}}`)
	h := http.Header{}
	if err := security.SetWebhookHeaders(h, secret, "msg_17", now, body); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-timestamp"); got != "1748768400" {
		t.Errorf("webhook-timestamp = %q, want Unix seconds 1748768400", got)
	}
	if err := security.VerifyWebhook(secret, h, body, now.Add(time.Minute), 0); err != nil {
		t.Errorf("VerifyWebhook of a freshly signed message: %v", err)
	}
	if err := security.VerifyWebhook(secret, h, append(body, ' '), now, 0); err == nil {
		t.Error("VerifyWebhook accepted a body with an extra byte")
	}
}

func TestNewWebhookSecret(t *testing.T) {
	a, b := security.NewWebhookSecret(), security.NewWebhookSecret()
	if a == b {
		t.Error("two secrets are equal, want random ones")
	}
	if !strings.HasPrefix(a, "whsec_") {
		t.Errorf("secret %q lacks the whsec_ prefix", a)
	}
	key, err := security.ParseWebhookSecret(a)
	if err != nil {
		t.Fatalf("ParseWebhookSecret(NewWebhookSecret()): %v", err)
	}
	if len(key) != 32 {
		t.Errorf("key holds %d bytes, want 32", len(key))
	}
}

func TestParseWebhookSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	tests := []struct {
		name    string
		secret  string
		wantLen int // 0: refused
	}{
		{"standard vector", vectorSecret, 24},
		{"without prefix", b64(32), 32},
		{"64 bytes", "whsec_" + b64(64), 64},
		{"23 bytes", "whsec_" + b64(23), 0},
		{"65 bytes", "whsec_" + b64(65), 0},
		{"not base64", "whsec_***", 0},
		{"url-safe alphabet", "whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 8)), 0},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := security.ParseWebhookSecret(tt.secret)
			if tt.wantLen == 0 {
				if err == nil {
					t.Fatalf("ParseWebhookSecret(%q) succeeded, want an error", tt.secret)
				}
				return
			}
			if err != nil || len(key) != tt.wantLen {
				t.Errorf("ParseWebhookSecret = %d bytes, %v; want %d bytes", len(key), err, tt.wantLen)
			}
		})
	}
	if _, err := security.SignWebhook("whsec_short", "id", time.Unix(0, 0), nil); err == nil {
		t.Error("SignWebhook with an unusable secret succeeded, want an error")
	}
}

func TestBackoffDelay(t *testing.T) {
	half := func() float64 { return 0.5 }
	top := func() float64 { return 0.999999 }
	zero := func() float64 { return 0 }
	tests := []struct {
		name      string
		attempt   int
		base, max time.Duration
		rnd       func() float64
		want      time.Duration
	}{
		{"first retry", 0, time.Second, time.Hour, half, 500 * time.Millisecond},
		{"doubles", 1, time.Second, time.Hour, half, time.Second},
		{"doubles again", 3, time.Second, time.Hour, half, 4 * time.Second},
		{"capped", 10, time.Second, time.Minute, half, 30 * time.Second},
		{"huge attempt does not overflow", 1 << 30, time.Second, time.Hour, half, 30 * time.Minute},
		{"base above max", 0, time.Hour, time.Minute, half, 30 * time.Second},
		{"full jitter reaches zero", 5, time.Second, time.Hour, zero, 0},
		{"random source out of range is clamped", 2, time.Second, time.Hour, func() float64 { return 7 }, 4 * time.Second},
		{"negative random is clamped", 2, time.Second, time.Hour, func() float64 { return -1 }, 0},
		{"no base", 3, 0, time.Hour, half, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := security.BackoffDelay(tt.attempt, tt.base, tt.max, tt.rnd); got != tt.want {
				t.Errorf("BackoffDelay = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("near the ceiling", func(t *testing.T) {
		got := security.BackoffDelay(4, time.Second, time.Hour, top)
		if got < 15*time.Second || got >= 16*time.Second {
			t.Errorf("BackoffDelay = %v, want just under 16s", got)
		}
	})
	t.Run("default random source stays in range", func(t *testing.T) {
		for range 1000 {
			if got := security.BackoffDelay(2, time.Second, time.Hour, nil); got < 0 || got > 4*time.Second {
				t.Fatalf("BackoffDelay = %v, want within [0, 4s]", got)
			}
		}
	})
}

func BenchmarkSignWebhook(b *testing.B) {
	secret := security.NewWebhookSecret()
	body := bytes.Repeat([]byte(`{"type":"ticket.updated","id":1234}`), 30) // about 1 KiB
	ts := time.Unix(vectorUnix, 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := security.SignWebhook(secret, "msg_2mXnJ3f1QeZ9", ts, body); err != nil {
			b.Fatal(err)
		}
	}
}
