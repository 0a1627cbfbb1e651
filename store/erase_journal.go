package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// ErasureJournalName is the erasure journal, in the folder of the database:
// one line per erasure, with the customer's id, when their record was made
// and when it was erased, and nothing else. It lives outside the database
// so that restoring an older backup cannot undo an erasure: ReplayErasures
// erases again whoever the journal says is gone.
const ErasureJournalName = "erasures.journal"

const (
	// settingJournalOffset is how far into the journal the database is:
	// the journal's size after the last erasure it committed or the last
	// replay. A restored backup holds an older, smaller offset, and what
	// lies beyond it was erased after the backup was taken.
	settingJournalOffset = "erasure_journal_offset"
	journalHeader        = "# safedesk erasure journal: customer ids and times only. Append-only: a restore replays it.\n"
	journalErased        = "erased"
	journalFailed        = "failed" // the erasure on the line before did not commit
)

// errOtherCustomer is a journal entry whose customer id now belongs to a
// customer made after the one erased.
var errOtherCustomer = errors.New("store: journal entry names another customer")

// JournalEntry is one erasure in the journal.
type JournalEntry struct {
	CustomerID int64
	// Created is when the customer record was made: a customer with the
	// same id but another creation time is someone else.
	Created time.Time
	Erased  time.Time
}

// line is the entry as the journal holds it, with the verb given.
func (e JournalEntry) line(verb string) string {
	return fmt.Sprintf("%s %d %s %s\n", verb, e.CustomerID, e.Created.UTC().Format(time.RFC3339Nano), e.Erased.UTC().Format(time.RFC3339Nano))
}

// ErasureJournal is the path of the erasure journal of this database.
func (db *DB) ErasureJournal() string {
	return filepath.Join(filepath.Dir(db.path), ErasureJournalName)
}

// appendJournal appends line to the journal, synced to disk, and returns
// the journal's size after it. A line left half written by a crash stays
// on a line of its own, which readers skip.
func (db *DB) appendJournal(line string) (int64, error) {
	path := db.ErasureJournal()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("store: erasure journal: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("store: erasure journal: %w", err)
	}
	size, buf := info.Size(), line
	if size == 0 {
		buf = journalHeader + line
	} else if !endsLine(f, size) {
		buf = "\n" + line
	}
	if _, err := f.WriteString(buf); err != nil {
		return 0, fmt.Errorf("store: erasure journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("store: erasure journal: %w", err)
	}
	if size == 0 {
		if err := security.SyncDir(filepath.Dir(path)); err != nil {
			return 0, err
		}
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("store: erasure journal: %w", err)
	}
	return size + int64(len(buf)), nil
}

// endsLine reports whether the byte before offset in f is a newline.
func endsLine(f *os.File, offset int64) bool {
	var b [1]byte
	_, err := f.ReadAt(b[:], offset-1)
	return err == nil && b[0] == '\n'
}

// setJournalOffset records, inside tx, how far into the journal the
// database is.
func setJournalOffset(ctx context.Context, tx *sql.Tx, offset int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		settingJournalOffset, strconv.FormatInt(offset, 10), nanos(now))
	if err != nil {
		return fmt.Errorf("store: erasure journal offset: %w", err)
	}
	return nil
}

// ReplayErasures makes the database agree with its erasure journal: every
// customer the journal records as erased after this database's last
// erasure (a restored backup is older than the journal) and still here is
// erased again, each with a customer.erased audit entry that says it was
// replayed. It returns them, in journal order. On a database that is up to
// date it reads only its own offset and the journal's size. An entry whose
// customer is gone, or whose id now belongs to a customer made later, is
// skipped; so is an erasure the journal says failed to commit.
func (db *DB) ReplayErasures(ctx context.Context, a Actor) ([]JournalEntry, error) {
	v, err := db.GetSetting(ctx, settingJournalOffset, "0")
	if err != nil {
		return nil, err
	}
	from, err := strconv.ParseInt(v, 10, 64)
	if err != nil || from < 0 {
		from = 0 // not ours: read the whole journal
	}
	entries, size, err := readJournal(db.ErasureJournal(), from)
	if err != nil || size == from {
		return nil, err
	}
	var redone []JournalEntry
	for _, e := range entries {
		_, err := db.eraseTx(ctx, e.CustomerID, a, func(c erasable) (int64, map[string]any, error) {
			if !c.created.Equal(e.Created) {
				return 0, nil, errOtherCustomer
			}
			return -1, map[string]any{"replayed_from_journal": e.Erased.Format(time.RFC3339Nano)}, nil
		})
		switch {
		case errors.Is(err, ErrNotFound), errors.Is(err, errOtherCustomer):
			continue
		case err != nil:
			return redone, err
		}
		redone = append(redone, e)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error { return setJournalOffset(ctx, tx, size, db.now()) })
	return redone, err
}

// readJournal returns the erasures recorded in the journal at path from
// offset on, without those marked as failed, and the journal's size. An
// offset past the end or inside a line (a journal replaced since) reads
// the whole journal. A missing journal is empty.
func readJournal(path string, offset int64) ([]JournalEntry, int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: erasure journal: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("store: erasure journal: %w", err)
	}
	size := info.Size()
	if offset > size || (offset > 0 && !endsLine(f, offset)) {
		offset = 0
	}
	if offset == size {
		return nil, size, nil
	}
	r := bufio.NewReader(io.NewSectionReader(f, offset, size-offset))
	var entries []JournalEntry
	for {
		line, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) {
			break // an unfinished last line was never synced whole: skip it
		}
		if err != nil {
			return nil, 0, fmt.Errorf("store: erasure journal: %w", err)
		}
		verb, e, ok := parseJournalLine(line)
		switch {
		case !ok:
		case verb == journalErased:
			entries = append(entries, e)
		case verb == journalFailed:
			entries = slices.DeleteFunc(entries, func(x JournalEntry) bool {
				return x.CustomerID == e.CustomerID && x.Created.Equal(e.Created) && x.Erased.Equal(e.Erased)
			})
		}
	}
	return entries, size, nil
}

// parseJournalLine reads one line of the journal; comments and torn lines
// are not ok.
func parseJournalLine(line string) (string, JournalEntry, bool) {
	f := strings.Fields(line)
	if len(f) != 4 || (f[0] != journalErased && f[0] != journalFailed) {
		return "", JournalEntry{}, false
	}
	id, err1 := strconv.ParseInt(f[1], 10, 64)
	created, err2 := time.Parse(time.RFC3339Nano, f[2])
	erased, err3 := time.Parse(time.RFC3339Nano, f[3])
	if err1 != nil || err2 != nil || err3 != nil || id <= 0 {
		return "", JournalEntry{}, false
	}
	return f[0], JournalEntry{CustomerID: id, Created: created, Erased: erased}, true
}
