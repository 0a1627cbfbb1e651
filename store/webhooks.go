package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// Webhook events.
const (
	EventTicketCreated  = "ticket.created"
	EventTicketUpdated  = "ticket.updated"
	EventMessageCreated = "message.created"
	EventCustomerErased = "customer.erased"
	EventSecurityAlert  = "security.alert"
)

// WebhookEvents lists every event a webhook can subscribe to.
var WebhookEvents = []string{EventTicketCreated, EventTicketUpdated, EventMessageCreated, EventCustomerErased, EventSecurityAlert}

// Limits of a webhook.
const (
	MaxWebhookURLLen  = 2048
	MaxDescriptionLen = 200
)

// Webhook is a subscriber to events. URL and Secret are sealed in the
// database; Secret is filled only by the methods that deliver.
type Webhook struct {
	ID             int64
	URL            string
	Events         []string
	Description    string
	Active         bool
	Failures       int // consecutive failed attempts
	DisabledAt     time.Time
	DisabledReason string
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// NewWebhook is a webhook to create. The caller checks the URL's
// destination (security.CheckURL) before calling CreateWebhook.
type NewWebhook struct {
	URL         string
	Events      []string
	Description string
}

// Validate checks the URL's form, the events and the description.
func (w NewWebhook) Validate() error {
	var v ValidationError
	validateWebhook(&v, &w.URL, &w.Events, &w.Description)
	return v.err()
}

func validateWebhook(v *ValidationError, url *string, events *[]string, desc *string) {
	if url != nil {
		switch u := *url; {
		case u == "":
			v.add("url", "Enter the URL to deliver to.")
		case len(u) > MaxWebhookURLLen:
			v.add("url", fmt.Sprintf("A URL has at most %d characters.", MaxWebhookURLLen))
		case !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://"):
			v.add("url", "The URL must start with https:// or http://.")
		}
	}
	if events != nil {
		if len(*events) == 0 {
			v.add("events", "Choose at least one event.")
		}
		for _, e := range *events {
			if !slices.Contains(WebhookEvents, e) {
				v.add("events", "Unknown event; choose from "+strings.Join(WebhookEvents, ", ")+".")
			}
		}
	}
	if desc != nil {
		checkText(v, "description", *desc, MaxDescriptionLen, false, "a description")
	}
}

func webhookLoc(id int64, col string) security.Location {
	return security.Location{Table: "webhooks", Column: col, Row: id}
}

func canonicalEvents(in []string) []string {
	var out []string
	for _, e := range WebhookEvents {
		if slices.Contains(in, e) {
			out = append(out, e)
		}
	}
	return out
}

// WebhookTarget is how the audit log names a webhook.
func WebhookTarget(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) }

// CreateWebhook stores a webhook with a new signing secret, returned once.
// Only events recorded after it was created are delivered to it.
func (db *DB) CreateWebhook(ctx context.Context, w NewWebhook, a Actor) (Webhook, string, error) {
	if err := w.Validate(); err != nil {
		return Webhook{}, "", err
	}
	secret := security.NewWebhookSecret()
	now := db.now()
	out := Webhook{URL: w.URL, Events: canonicalEvents(w.Events), Description: strings.TrimSpace(w.Description),
		Active: true, CreatedBy: actorString(a), CreatedAt: now, UpdatedAt: now}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if out.ID, err = nextID(ctx, tx, "webhooks"); err != nil {
			return err
		}
		var seq, event int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE((SELECT MAX(seq) FROM audit_log), 0), COALESCE((SELECT MAX(id) FROM security_events), 0)").
			Scan(&seq, &event); err != nil {
			return fmt.Errorf("store: create webhook: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (id, url, secret, events, description, created_seq, created_event, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, out.ID,
			db.systemKey.SealString(out.URL, webhookLoc(out.ID, "url")), db.systemKey.SealString(secret, webhookLoc(out.ID, "secret")),
			strings.Join(out.Events, " "), out.Description, seq, event, out.CreatedBy, nanos(now), nanos(now)); err != nil {
			return fmt.Errorf("store: create webhook: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "webhook.created", WebhookTarget(out.ID), map[string]any{"events": strings.Join(out.Events, " ")})
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return out, secret, nil
}

const webhookColumns = "id, url, events, description, active, failures, disabled_at, disabled_reason, created_by, created_at, updated_at"

func (db *DB) scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var url []byte
	var events string
	var created, updated int64
	var disabled sql.NullInt64
	if err := row.Scan(&w.ID, &url, &events, &w.Description, &w.Active, &w.Failures, &disabled, &w.DisabledReason,
		&w.CreatedBy, &created, &updated); err != nil {
		return Webhook{}, err
	}
	var err error
	if w.URL, err = db.systemKey.OpenString(url, webhookLoc(w.ID, "url")); err != nil {
		return Webhook{}, err
	}
	w.Events = canonicalEvents(strings.Fields(events))
	w.DisabledAt, w.CreatedAt, w.UpdatedAt = fromNullNanos(disabled), fromNanos(created), fromNanos(updated)
	return w, nil
}

// GetWebhook returns a webhook by id.
func (db *DB) GetWebhook(ctx context.Context, id int64) (Webhook, error) {
	w, err := db.scanWebhook(db.read.QueryRowContext(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, ErrNotFound
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("store: get webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns every webhook, oldest first.
func (db *DB) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+webhookColumns+" FROM webhooks ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: list webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		w, err := db.scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list webhooks: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// WebhookUpdate changes a webhook; nil fields stay. Setting Active to true
// re-enables a disabled webhook and clears its failure count.
type WebhookUpdate struct {
	URL         *string
	Events      *[]string
	Description *string
	Active      *bool
}

// Validate checks the values that are set.
func (u WebhookUpdate) Validate() error {
	var v ValidationError
	validateWebhook(&v, u.URL, u.Events, u.Description)
	return v.err()
}

// UpdateWebhook applies u, audited with the names of the fields changed.
func (db *DB) UpdateWebhook(ctx context.Context, id int64, u WebhookUpdate, a Actor) (Webhook, error) {
	if err := u.Validate(); err != nil {
		return Webhook{}, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := nanos(db.now())
		var changed []string
		set := func(field, query string, args ...any) error {
			changed = append(changed, field)
			_, err := tx.ExecContext(ctx, "UPDATE webhooks SET "+query+", updated_at = ? WHERE id = ?", append(args, now, id)...)
			return err
		}
		var exists bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = ?)", id).Scan(&exists); err != nil {
			return fmt.Errorf("store: update webhook: %w", err)
		}
		if !exists {
			return ErrNotFound
		}
		var err error
		if u.URL != nil && err == nil {
			err = set("url", "url = ?", db.systemKey.SealString(*u.URL, webhookLoc(id, "url")))
		}
		if u.Events != nil && err == nil {
			err = set("events", "events = ?", strings.Join(canonicalEvents(*u.Events), " "))
		}
		if u.Description != nil && err == nil {
			err = set("description", "description = ?", strings.TrimSpace(*u.Description))
		}
		if u.Active != nil && err == nil {
			if *u.Active {
				err = set("active", "active = 1, failures = 0, disabled_at = NULL, disabled_reason = ''")
			} else {
				err = set("active", "active = 0, disabled_at = ?, disabled_reason = 'disabled by request'", now)
			}
		}
		if err != nil {
			return fmt.Errorf("store: update webhook: %w", err)
		}
		if len(changed) == 0 {
			return nil
		}
		return db.appendAudit(ctx, tx, a, "webhook.updated", WebhookTarget(id), map[string]any{"changed": changed})
	})
	if err != nil {
		return Webhook{}, err
	}
	return db.GetWebhook(ctx, id)
}

// DeleteWebhook removes a webhook with its queue and log.
func (db *DB) DeleteWebhook(ctx context.Context, id int64, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, "DELETE FROM webhooks WHERE id = ?", id))
		if err != nil {
			return fmt.Errorf("store: delete webhook: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return db.appendAudit(ctx, tx, a, "webhook.deleted", WebhookTarget(id), nil)
	})
}
