package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"safedesk/store"
	"safedesk/web/api/apitest"
)

// Attachments measured end to end over loopback HTTP: a 20 MiB file
// uploaded through the router, the multipart reader, type sniffing,
// sealing and the database (POST /api/v1/tickets/{id}/messages), and
// downloaded back; beside the floor, the same bytes written to and read
// from a file by a bare net/http handler, in the same run. Each reports
// MB/s; the upload also reports the peak heap above idle while it runs
// (the most of any one upload, the heap collected before each: garbage of
// the previous upload is not held memory).
//
// An upload is the request alone: between two uploads, off the clock, the
// disk catches up with the last one, for the floor (its file is synced)
// and for safedesk (the write-ahead log is checkpointed into the
// database, as the server's background job does every second). Back to
// back, uploads would also wait for the disk to take the previous ones:
// safedesk-back-to-back shows that rate, beside floor-fsync.
//
//	go test ./web/ -run '^$' -bench 'Attachment' -benchtime 10x

const benchFileSize = 20 << 20

// benchFile is a 20 MiB PDF: a header, then incompressible bytes.
func benchFile(b *testing.B) []byte {
	b.Helper()
	f := make([]byte, benchFileSize)
	rand.Read(f)
	copy(f, "%PDF-1.7\n")
	return f
}

// uploadBody is a multipart form with a text body and the file.
func uploadBody(b *testing.B, file []byte) ([]byte, string) {
	b.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("body", "The scan you asked for.")
	w, err := mw.CreateFormFile("attachments", "scan.pdf")
	if err != nil {
		b.Fatal(err)
	}
	w.Write(file)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// heapPeak samples the heap's object bytes every 200µs until stop, and
// returns the highest.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

func heapNow() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func BenchmarkAttachmentUpload(b *testing.B) {
	file := benchFile(b)
	body, ct := uploadBody(b, file)
	// The floor writes into the page cache; floor-fsync also waits for the
	// disk, as SQLite's checkpoints (in the upload's path) do.
	for _, sync := range []bool{false, true} {
		name := map[bool]string{false: "floor", true: "floor-fsync"}[sync]
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			var n atomic.Int64
			path := func(i int64) string { return filepath.Join(dir, strconv.FormatInt(i, 10)) }
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f, err := os.Create(path(n.Add(1)))
				if err == nil {
					_, err = io.Copy(f, r.Body)
					if sync && err == nil {
						err = f.Sync()
					}
					err = errors.Join(err, f.Close())
				}
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				w.WriteHeader(http.StatusCreated)
			}))
			defer ts.Close()
			runUploads(b, ts.URL+"/upload", ct, "", body, func() error {
				if n.Load() == 0 {
					return nil
				}
				return syncFile(path(n.Load()))
			})
		})
	}
	for _, settle := range []bool{true, false} {
		name := map[bool]string{true: "safedesk", false: "safedesk-back-to-back"}[settle]
		b.Run(name, func(b *testing.B) {
			s, db := benchServer(b)
			tok := apitest.Token(b, db, store.ScopeTicketsWrite)
			t, err := db.CreateTicket(context.Background(), store.NewTicket{Email: "bench@example.com", Subject: "Scan", Body: "Please send the scan."}, testAdmin)
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(s)
			defer ts.Close()
			checkpoint := func() error {
				_, err := db.CheckpointWAL(context.Background())
				return err
			}
			if !settle {
				checkpoint = func() error { return nil }
			}
			runUploads(b, fmt.Sprintf("%s/api/v1/tickets/%d/messages", ts.URL, t.ID), ct, tok, body, checkpoint)
		})
	}
}

// syncFile waits until the file at path is on the disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// runUploads posts body b.N times and reports the throughput of the file
// and the peak heap above idle during the uploads. Before each, off the
// clock, settle lets the disk catch up with the previous one.
func runUploads(b *testing.B, url, ct, token string, body []byte, settle func() error) {
	b.SetBytes(benchFileSize)
	client := &http.Client{}
	var above uint64 // the most any upload took above the heap before it
	for b.Loop() {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		b.StopTimer()
		if err := settle(); err != nil {
			b.Fatal(err)
		}
		idle := heapNow() // after a collection: what is held, not the last upload's garbage
		b.StartTimer()
		stop := make(chan struct{})
		got := heapPeak(stop)
		resp, err := client.Do(req)
		close(stop)
		if peak := <-got; peak > idle {
			above = max(above, peak-idle)
		}
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("%d %s", resp.StatusCode, msg)
		}
	}
	b.ReportMetric(float64(above)/(1<<20), "peak-heap-MiB")
}

func BenchmarkAttachmentDownload(b *testing.B) {
	file := benchFile(b)
	// The floor copies the file with sendfile (net/http does, for an
	// *os.File); floor-copy reads it through user space, as any server
	// that transforms the bytes (here: decrypts them) must.
	path := filepath.Join(b.TempDir(), "scan.pdf")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		b.Fatal(err)
	}
	for _, copied := range []bool{false, true} {
		name := map[bool]string{false: "floor", true: "floor-copy"}[copied]
		b.Run(name, func(b *testing.B) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f, err := os.Open(path)
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				defer f.Close()
				w.Header().Set("Content-Length", strconv.Itoa(benchFileSize))
				var src io.Reader = f
				if copied {
					src = struct{ io.Reader }{f} // hides ReadFrom's sendfile
				}
				if _, err := io.Copy(w, src); err != nil {
					panic(http.ErrAbortHandler)
				}
			}))
			defer ts.Close()
			runDownloads(b, ts.URL+"/scan.pdf", "")
		})
	}
	b.Run("safedesk", func(b *testing.B) {
		s, db := benchServer(b)
		up := db.NewUpload(0)
		if _, err := up.Add(context.Background(), "scan.pdf", bytes.NewReader(file)); err != nil {
			b.Fatal(err)
		}
		t, err := db.CreateTicket(context.Background(), store.NewTicket{Email: "bench@example.com", Subject: "Scan", Body: "Attached.", Upload: up}, testAdmin)
		if err != nil {
			b.Fatal(err)
		}
		tok := apitest.Token(b, db, store.ScopeTicketsRead)
		// A file is downloaded after the background job has moved it from
		// the write-ahead log into the database, as on the server a
		// second after the upload.
		if _, err := db.CheckpointWAL(context.Background()); err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(s)
		defer ts.Close()
		runDownloads(b, fmt.Sprintf("%s/api/v1/tickets/%d/attachments/%d", ts.URL, t.ID, up.Files()[0].ID), tok)
	})
}

func runDownloads(b *testing.B, url, token string) {
	b.SetBytes(benchFileSize)
	client := &http.Client{}
	for b.Loop() {
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != benchFileSize || resp.StatusCode != 200 {
			b.Fatalf("%d: %d bytes, %v", resp.StatusCode, n, err)
		}
	}
}
