package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// Webhook delivery defaults; Config overrides each.
const (
	defaultWebhookPoll         = time.Second
	defaultWebhookRetryBase    = 30 * time.Second
	defaultWebhookRetryMax     = 6 * time.Hour
	defaultWebhookMaxAttempts  = 10
	defaultWebhookDisableAfter = 50
	defaultWebhookTimeout      = 15 * time.Second

	webhookBatch       = 16 // deliveries claimed at once
	webhookParallel    = 4  // sent at once
	webhookLeaseExtra  = 30 * time.Second
	webhookKeepLog     = 30 * 24 * time.Hour
	webhookHousekeep   = time.Hour
	webhookUserAgent   = "safedesk-webhooks/1"
	webhookMaxRespRead = 64 << 10
)

// dispatcher is the background webhook worker: it turns audit entries into
// queued deliveries and sends what is due, from the SQLite queue, so nothing
// is lost across restarts.
type dispatcher struct {
	client *http.Client
	wake   chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func newDispatcher(cfg Config) *dispatcher {
	return &dispatcher{
		client: security.NewSafeClient(security.SafeClientOptions{
			AllowHosts: cfg.WebhookAllowHosts, Lookup: cfg.WebhookLookup, Timeout: cfg.WebhookTimeout,
		}),
		wake: make(chan struct{}, 1),
	}
}

// wakeWebhooks tells the worker there may be new events, so API changes
// are delivered at once rather than at the next poll.
func (s *Server) wakeWebhooks() {
	select {
	case s.hooks.wake <- struct{}{}:
	default:
	}
}

// StartWebhooks starts the delivery worker; Run calls it. It returns a
// function that stops the worker and waits for it: deliveries in flight are
// abandoned and, still leased, retried after a restart.
func (s *Server) StartWebhooks() (stop func()) {
	d := s.hooks
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go func() {
		defer close(d.done)
		s.runWebhooks(ctx)
	}()
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.cancel == nil {
			return
		}
		d.cancel()
		<-d.done
		d.cancel = nil
	}
}

func (s *Server) runWebhooks(ctx context.Context) {
	var housekept time.Time
	for ctx.Err() == nil {
		for {
			_, more, err := s.db.FanOutEvents(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("webhook fan-out", "err", err)
				}
				break
			}
			if !more {
				break
			}
		}
		n := s.deliverDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(housekept) > webhookHousekeep {
			housekept = time.Now()
			s.housekeepAPI(ctx)
		}
		if n == webhookBatch {
			continue // more may be due
		}
		wait := s.cfg.WebhookPoll
		if next, err := s.db.NextDeliveryAt(ctx); err == nil && !next.IsZero() {
			wait = min(wait, max(next.Sub(s.db.Now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.hooks.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// housekeepAPI prunes the delivery log and expired access tokens.
func (s *Server) housekeepAPI(ctx context.Context) {
	if _, err := s.db.PruneDeliveries(ctx, webhookKeepLog); err != nil && ctx.Err() == nil {
		s.log.Error("prune webhook deliveries", "err", err)
	}
	if _, err := s.db.DeleteExpiredAccessTokens(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("expire access tokens", "err", err)
	}
}

// deliverDue sends up to webhookBatch due deliveries, a few at a time, and
// returns how many it claimed.
func (s *Server) deliverDue(ctx context.Context) int {
	lease := s.cfg.WebhookTimeout + webhookLeaseExtra
	ds, err := s.db.ClaimDeliveries(ctx, webhookBatch, lease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("webhook claim", "err", err)
		}
		return 0
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, webhookParallel)
	for _, d := range ds {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.deliver(ctx, d)
		})
	}
	wg.Wait()
	return len(ds)
}

// deliver sends one delivery and records the attempt: a retry after an
// exponential backoff with full jitter, or the end after the last attempt.
func (s *Server) deliver(ctx context.Context, d store.Delivery) {
	at := s.sendWebhook(ctx, d)
	if ctx.Err() != nil {
		return // shutting down: the lease brings it back after a restart
	}
	retry := time.Duration(-1)
	if !at.OK() && d.Attempts+1 < s.cfg.WebhookMaxAttempts {
		retry = security.BackoffDelay(d.Attempts, s.cfg.WebhookRetryBase, s.cfg.WebhookRetryMax, nil)
	}
	res, err := s.db.FinishDelivery(ctx, d.ID, at, retry, s.cfg.WebhookDisableAfter)
	if errors.Is(err, store.ErrNotFound) {
		return // the webhook was deleted meanwhile
	}
	if err != nil {
		s.log.Error("webhook delivery not recorded", "webhook", d.WebhookID, "delivery", d.ID, "err", err)
		return
	}
	if res.Disabled {
		s.webhookDisabled(d.WebhookID)
	}
}

// sendWebhook makes one signed POST through the SSRF-safe client, which
// resolves the host again and refuses non-public addresses, follows no
// redirect and times out.
func (s *Server) sendWebhook(ctx context.Context, d store.Delivery) store.DeliveryAttempt {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return store.DeliveryAttempt{Error: "the URL is not valid"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhookUserAgent)
	if err := security.SetWebhookHeaders(req.Header, d.Secret, d.MsgID, time.Now(), d.Payload); err != nil {
		return store.DeliveryAttempt{Error: "signing failed"}
	}
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		return store.DeliveryAttempt{Error: deliveryError(err), Duration: time.Since(start)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, webhookMaxRespRead))
	resp.Body.Close()
	at := store.DeliveryAttempt{StatusCode: resp.StatusCode, Duration: time.Since(start)}
	if !at.OK() {
		at.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			at.Error += " (redirects are not followed)"
		}
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

// webhookDisabled tells the log that a webhook was disabled after failing
// again and again. The audit entry and the critical security event (which
// mails the admins and fires security.alert) were written with the change.
func (s *Server) webhookDisabled(id int64) {
	s.log.Error("webhook disabled after repeated delivery failures; re-enable it once the receiver works", "webhook", id)
	s.mon.AlertNow() // mail the owners and admins now rather than at the next minute
	s.wakeWebhooks()
}
