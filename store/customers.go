package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/security"
)

// Field limits, in characters.
const (
	MaxEmailLen   = 254
	MaxNameLen    = 100
	MaxSubjectLen = 200
	MaxBodyLen    = 10000
)

// Customer is a person who wrote to support. Email and Name are plaintext
// here and sealed in the database.
type Customer struct {
	ID         int64
	Email      string
	Name       string
	VerifiedAt time.Time
	CreatedAt  time.Time
}

// ValidateEmail checks an address the way the portal and API do, by the
// rules that compare addresses (security.CanonicalEmail), and explains a
// refusal to the person who typed it; "" when the address is good.
func ValidateEmail(addr string) string {
	addr = strings.TrimSpace(addr)
	switch {
	case addr == "":
		return "Enter your email address."
	case utf8.RuneCountInString(addr) > MaxEmailLen:
		return fmt.Sprintf("An email address has at most %d characters.", MaxEmailLen)
	}
	_, err := security.CanonicalEmail(addr)
	switch {
	case errors.Is(err, security.ErrEmailLocal):
		return "Write the part before the @ in plain letters and digits (a to z, 0 to 9, and . _ + -): other alphabets are not accepted there."
	case errors.Is(err, security.ErrEmailConfusable):
		return "The domain mixes letters of different alphabets that look alike. Check how it is spelled."
	case err != nil:
		return "Enter an email address like name@example.com."
	}
	return ""
}

func customerLoc(id int64, column string) security.Location {
	return security.Location{Table: "customers", Column: column, Row: id}
}

// findOrCreateCustomer returns the customer with this address, creating them
// (with their own data key) inside tx when new. An existing customer's name is
// left alone: whoever types an address has not proved they own it.
func (db *DB) findOrCreateCustomer(ctx context.Context, tx *sql.Tx, email, name string) (id int64, key *security.DataKey, created bool, err error) {
	idx := db.bidx.Email(email)
	var keyID int64
	err = tx.StmtContext(ctx, db.stmts.customerByIndex).QueryRowContext(ctx, idx).Scan(&id, &keyID)
	if err == nil {
		key, err = db.dataKey(ctx, tx, keyID)
		return id, key, false, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, fmt.Errorf("store: find customer: %w", err)
	}
	key, err = db.newCustomerKey(ctx, tx)
	if err != nil {
		return 0, nil, false, err
	}
	if id, err = nextID(ctx, tx, "customers"); err != nil {
		return 0, nil, false, err
	}
	norm := security.NormalizeEmail(email)
	_, err = tx.ExecContext(ctx, `INSERT INTO customers (id, key_id, email_index, email, name, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, id, key.ID(), idx,
		key.SealString(norm, customerLoc(id, "email")), key.SealString(strings.TrimSpace(name), customerLoc(id, "name")),
		nanos(db.now()))
	if err != nil {
		return 0, nil, false, fmt.Errorf("store: create customer: %w", err)
	}
	return id, key, true, nil
}

// GetCustomer returns the customer with this id, opened.
func (db *DB) GetCustomer(ctx context.Context, id int64) (Customer, error) {
	return db.scanCustomer(ctx, db.read.QueryRowContext(ctx,
		"SELECT id, key_id, email, name, verified_at, created_at FROM customers WHERE id = ?", id))
}

// GetCustomerByEmail returns the customer with this address.
func (db *DB) GetCustomerByEmail(ctx context.Context, email string) (Customer, error) {
	return db.scanCustomer(ctx, db.read.QueryRowContext(ctx,
		"SELECT id, key_id, email, name, verified_at, created_at FROM customers WHERE email_index = ?", db.bidx.Email(email)))
}

func (db *DB) scanCustomer(ctx context.Context, row *sql.Row) (Customer, error) {
	var c Customer
	var keyID, created int64
	var email, name []byte
	var verified sql.NullInt64
	err := row.Scan(&c.ID, &keyID, &email, &name, &verified, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, ErrNotFound
	}
	if err != nil {
		return Customer{}, fmt.Errorf("store: customer: %w", err)
	}
	key, err := db.dataKey(ctx, db.read, keyID)
	if err != nil {
		return Customer{}, err
	}
	if c.Email, err = key.OpenString(email, customerLoc(c.ID, "email")); err != nil {
		return Customer{}, err
	}
	if c.Name, err = key.OpenString(name, customerLoc(c.ID, "name")); err != nil {
		return Customer{}, err
	}
	c.VerifiedAt, c.CreatedAt = fromNullNanos(verified), fromNanos(created)
	return c, nil
}

func customerTarget(id int64) string { return "customer:" + strconv.FormatInt(id, 10) }
