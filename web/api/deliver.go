package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// DeliveryPolicy is how webhooks are delivered; zero fields take the
// defaults.
type DeliveryPolicy struct {
	// RetryBase and RetryMax bound the exponential backoff, with full
	// jitter, between attempts: 30 seconds doubling up to 6 hours.
	RetryBase, RetryMax time.Duration
	// MaxAttempts is how many attempts a delivery gets before it fails for
	// good: 10.
	MaxAttempts int
	// DisableAfter is how many failed deliveries in a row disable a
	// webhook: 50.
	DisableAfter int
	// Timeout bounds one attempt: 15 seconds.
	Timeout time.Duration
}

func (p DeliveryPolicy) withDefaults() DeliveryPolicy {
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
	}{{&p.RetryBase, 30 * time.Second}, {&p.RetryMax, 6 * time.Hour}, {&p.Timeout, 15 * time.Second}} {
		if *d.p <= 0 {
			*d.p = d.def
		}
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 10
	}
	if p.DisableAfter <= 0 {
		p.DisableAfter = 50
	}
	return p
}

const (
	webhookBatch       = 16 // deliveries claimed at once
	webhookParallel    = 4  // sent at once
	webhookLeaseExtra  = 30 * time.Second
	webhookKeepLog     = 30 * 24 * time.Hour
	webhookUserAgent   = "safedesk-webhooks/1"
	webhookMaxRespRead = 64 << 10
)

// Deliverer sends webhooks. A round turns the audit entries and security
// alerts recorded since the last round into queued deliveries, one per
// subscribed webhook, and sends those that are due, signed, through the
// SSRF-safe client. The queue is in SQLite, so nothing is lost across
// restarts: a delivery cut short stays leased and is retried.
//
// main's scheduler runs Deliver every few seconds (which picks up retries)
// and Housekeep hourly; Wake runs a round at once when a request has just
// recorded an event, so deliveries stay prompt between scheduled rounds.
// One round runs at a time.
type Deliverer struct {
	db      *store.DB
	log     *slog.Logger
	policy  DeliveryPolicy
	client  *http.Client
	alerted func()

	stopCtx context.Context // done once Stop is called
	stop    context.CancelFunc

	mu      sync.Mutex
	running bool // a round is running
	again   bool // a round was asked for while one ran: run another
	stopped bool
	rounds  sync.WaitGroup
}

// NewDeliverer builds the webhook deliverer. alerted is called after a
// webhook was disabled for failing again and again: the store has recorded
// a critical security event, which the owners and admins should be mailed
// now.
func NewDeliverer(cfg Config, db *store.DB, log *slog.Logger, alerted func()) *Deliverer {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Deliverer{
		db: db, log: log, policy: cfg.Delivery, alerted: alerted, stopCtx: ctx, stop: cancel,
		client: security.NewSafeClient(security.SafeClientOptions{
			AllowHosts: cfg.AllowHosts, Lookup: cfg.Lookup, Timeout: cfg.Delivery.Timeout,
		}),
	}
}

// Deliver runs a round and returns when it is done. When a round is
// already running it asks that one to run once more and returns at once;
// after Stop it does nothing.
func (d *Deliverer) Deliver(ctx context.Context) {
	if d.begin() {
		d.run(ctx)
	}
}

// Wake runs a round in the background, as Deliver does; it never blocks.
func (d *Deliverer) Wake() {
	if d.begin() {
		go d.run(context.Background())
	}
}

// Stop ends the Deliverer: no round starts any more, and the running one
// is cancelled and waited for. Deliveries cut short stay leased and are
// retried after the lease, by the next process.
func (d *Deliverer) Stop() {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	d.stop()
	d.rounds.Wait()
}

// begin claims the right to run rounds; false when another caller holds
// it (and will now run once more) or the Deliverer is stopped.
func (d *Deliverer) begin() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.stopped:
		return false
	case d.running:
		d.again = true
		return false
	}
	d.running = true
	d.rounds.Add(1)
	return true
}

// run does rounds until none was asked for meanwhile, with ctx cancelled
// by Stop as well.
func (d *Deliverer) run(ctx context.Context) {
	defer d.rounds.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(d.stopCtx, cancel)()
	for {
		d.round(ctx)
		d.mu.Lock()
		d.running = d.again && !d.stopped
		d.again = false
		more := d.running
		d.mu.Unlock()
		if !more {
			return
		}
	}
}

// round queues the new events, then sends what is due, a batch at a time.
func (d *Deliverer) round(ctx context.Context) {
	for {
		_, more, err := d.db.FanOutEvents(ctx)
		if err != nil {
			d.logError(ctx, "webhook fan-out", err)
			break
		}
		if !more {
			break
		}
	}
	for ctx.Err() == nil {
		// A read first: an idle queue costs no write transaction.
		next, err := d.db.NextDeliveryAt(ctx)
		if err != nil {
			d.logError(ctx, "webhook queue", err)
			return
		}
		if next.IsZero() || next.After(d.db.Now()) {
			return
		}
		if d.deliverDue(ctx) < webhookBatch {
			return
		}
	}
}

// Housekeep prunes the delivery log of attempts older than 30 days and
// removes expired OAuth2 access tokens.
func (d *Deliverer) Housekeep(ctx context.Context) {
	if _, err := d.db.PruneDeliveries(ctx, webhookKeepLog); err != nil {
		d.logError(ctx, "prune webhook deliveries", err)
	}
	if _, err := d.db.DeleteExpiredAccessTokens(ctx); err != nil {
		d.logError(ctx, "expire access tokens", err)
	}
}

// logError logs err unless it comes from ctx being cancelled.
func (d *Deliverer) logError(ctx context.Context, msg string, err error) {
	if ctx.Err() == nil {
		d.log.Error(msg, "err", err)
	}
}

// deliverDue sends up to webhookBatch due deliveries, a few at a time, and
// returns how many it claimed.
func (d *Deliverer) deliverDue(ctx context.Context) int {
	ds, err := d.db.ClaimDeliveries(ctx, webhookBatch, d.policy.Timeout+webhookLeaseExtra)
	if err != nil {
		d.logError(ctx, "webhook claim", err)
		return 0
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, webhookParallel)
	for _, dl := range ds {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d.deliver(ctx, dl)
		})
	}
	wg.Wait()
	return len(ds)
}

// deliver sends one delivery and records the attempt: a retry after an
// exponential backoff with full jitter, or the end after the last attempt.
func (d *Deliverer) deliver(ctx context.Context, dl store.Delivery) {
	at := d.send(ctx, dl)
	if ctx.Err() != nil {
		return // stopping: the lease brings it back after a restart
	}
	retry := time.Duration(-1)
	if !at.OK() && dl.Attempts+1 < d.policy.MaxAttempts {
		retry = security.BackoffDelay(dl.Attempts, d.policy.RetryBase, d.policy.RetryMax, nil)
	}
	res, err := d.db.FinishDelivery(ctx, dl.ID, at, retry, d.policy.DisableAfter)
	if errors.Is(err, store.ErrNotFound) {
		return // the webhook was deleted meanwhile
	}
	if err != nil {
		d.log.Error("webhook delivery not recorded", "webhook", dl.WebhookID, "delivery", dl.ID, "err", err)
		return
	}
	if res.Disabled {
		// The audit entry and the critical security event (which fires
		// security.alert to other webhooks) were written with the change.
		d.log.Error("webhook disabled after repeated delivery failures; re-enable it once the receiver works", "webhook", dl.WebhookID)
		d.alerted()
		d.Wake()
	}
}

// send makes one signed POST through the SSRF-safe client, which resolves
// the host again and refuses non-public addresses, follows no redirect and
// times out.
func (d *Deliverer) send(ctx context.Context, dl store.Delivery) store.DeliveryAttempt {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		return store.DeliveryAttempt{Error: "the URL is not valid"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhookUserAgent)
	if err := security.SetWebhookHeaders(req.Header, dl.Secret, dl.MsgID, time.Now(), dl.Payload); err != nil {
		return store.DeliveryAttempt{Error: "signing failed"}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		if detail := security.RefusalDetail(err); detail != "" {
			d.log.Warn("webhook delivery refused", "webhook", dl.WebhookID, "detail", detail)
		}
		return store.DeliveryAttempt{Error: deliveryError(err), Duration: time.Since(start)}
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookMaxRespRead))
	resp.Body.Close()
	at := store.DeliveryAttempt{StatusCode: resp.StatusCode, Duration: time.Since(start)}
	switch {
	case !at.OK():
		at.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			at.Error += " (redirects are not followed)"
		}
	case err != nil:
		// The receiver said 2xx; a body cut short does not undo that.
		d.log.Warn("webhook response body not read", "webhook", dl.WebhookID, "err", deliveryError(err))
	}
	return at
}

// deliveryError describes a failed request without the URL, whose path or
// query may hold a credential of the receiver.
func deliveryError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timed out"
		}
		err = ue.Err
	}
	return err.Error()
}
