package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/security"
)

func BenchmarkTmpBgCheckpoint(b *testing.B) {
	for _, bg := range []bool{false, true} {
		b.Run(fmt.Sprint("bg=", bg), func(b *testing.B) {
			ring, _ := security.NewKeyring(security.NewDataKey())
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "x.db")
			db, err := Open(ctx, path, ring, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			emails := make([]string, 16)
			for i := range emails {
				emails[i] = fmt.Sprintf("customer%02d@example.com", i)
				db.CreateTicket(ctx, NewTicket{Email: emails[i], Name: "R", Subject: "First", Body: "First"}, SystemActor)
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			if bg {
				db.write.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0")
				ck, _ := sql.Open("sqlite", dsn(path, false))
				ck.SetMaxOpenConns(1)
				defer ck.Close()
				wg.Add(1)
				go func() {
					defer wg.Done()
					t := time.NewTicker(20 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							ck.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
						}
					}
				}()
			}
			body := strings.Repeat("Hello my order arrived damaged. ", 13)
			i := 0
			for b.Loop() {
				if _, err := db.CreateTicket(ctx, NewTicket{Email: emails[i%16], Name: "R", Subject: "Grinder arrived damaged", Body: body}, SystemActor); err != nil {
					b.Fatal(err)
				}
				i++
			}
			close(stop)
			wg.Wait()
		})
	}
}
