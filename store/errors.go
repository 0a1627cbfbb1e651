package store

import (
	"database/sql"
	"errors"
	"slices"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ValidationError lists the fields that failed validation with a message for
// each, for forms and the API's 422 answers.
type ValidationError struct {
	Fields map[string]string
}

// Error names the invalid fields, in order.
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same error reads the same every time
	return "store: invalid " + strings.Join(keys, ", ")
}

// add records a message for field, keeping the first one.
func (e *ValidationError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// notFound turns a query's "no rows" into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// Constraint failures, by SQLite's extended result code.
const (
	uniqueViolation     = sqlite3.SQLITE_CONSTRAINT_UNIQUE
	foreignKeyViolation = sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
)

// violates reports whether err is SQLite refusing a write for the
// constraint failure code (uniqueViolation, foreignKeyViolation). The driver
// turns on extended result codes, so the code says which constraint kind
// failed; the message is for people and is never matched.
func violates(err error, code int) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == code
}

// changed is how many rows the statement that returned res and err changed;
// err passes through untouched, so that violates still sees it.
func changed(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// inserted is the row id of the INSERT that returned res and err; err passes
// through untouched.
func inserted(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}
