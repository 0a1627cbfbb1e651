package soak

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// soakMaxRSS is the resident memory the server must stay under, whoever
// comes: issue 12, item 18.
const soakMaxRSS = 100 << 20

// TestServeMemoryBounded builds the binary, serves a data folder behind a
// trusted proxy on 127.0.0.1 and drives it over HTTP: portal pages from
// 300,000 client addresses, each its own (half IPv4, half IPv6 /64s), then
// 100,000 API ticket creations, each for a new customer. Every request must
// succeed, and the server process's resident memory, now (VmRSS) and at its
// peak (VmHWM), must stay under 100 MB.
//
// It runs in full unless -short, where the counts are a tenth. The full
// run is long for a test (about three CPU-minutes, server and load
// together, and four minutes of wall time on two cores that other work
// shares; the writes alone are a millisecond each on the one writer), but
// only the full counts go past every cap (100,000 keys in the anomaly
// detector and each limiter, 4,096 data keys) enough times to show that
// memory stays flat, so CI runs it in full.
func TestServeMemoryBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's memory from /proc")
	}
	pages, tickets := 300_000, 100_000
	if testing.Short() {
		pages, tickets = 30_000, 10_000
	}
	srv := startSoakServer(t)
	start := srv.memory(t)
	t.Logf("started: %s", start)

	paths := []string{"/", "/kb/cancel-or-change-an-order", "/kb/descale-your-electric-kettle",
		"/kb/gift-cards-and-promo-codes", "/kb/search?q=refund", "/privacy", "/tickets/new", "/kb/change-your-email-address"}
	srv.drive(t, pages, http.StatusOK, func(i int) (*http.Request, error) {
		req, err := http.NewRequest("GET", srv.base+paths[i%len(paths)], nil)
		if err == nil {
			req.Header.Set("X-Forwarded-For", soakAddr(i).String())
		}
		return req, err
	})
	m := srv.memory(t)
	t.Logf("after %d page requests from as many addresses: %s", pages, m)
	if m.rss >= soakMaxRSS || m.peak >= soakMaxRSS {
		t.Errorf("after %d page requests from as many addresses: %s, want under 100 MB", pages, m)
	}

	token := srv.token(t)
	srv.drive(t, tickets, http.StatusCreated, func(i int) (*http.Request, error) {
		body := fmt.Sprintf(`{"email":"soak%d@example.com","name":"Customer %d","subject":"Order %d has not arrived",`+
			`"body":"I ordered a grinder two weeks ago and it has not arrived yet. Could you look into order %d?"}`, i, i, i, i)
		req, err := http.NewRequest("POST", srv.base+"/api/v1/tickets", strings.NewReader(body))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", soakAddr(i%256).String()) // a few integrations
		}
		return req, err
	})
	m = srv.memory(t)
	t.Logf("after %d API tickets: %s", tickets, m)
	if m.rss >= soakMaxRSS || m.peak >= soakMaxRSS {
		t.Errorf("after %d API tickets: %s, want under 100 MB", tickets, m)
	}
	srv.stop(t)
}

// soakAddr is the i-th client address: even i an IPv4 address, odd i an
// IPv6 address in its own /64.
func soakAddr(i int) netip.Addr {
	if i%2 == 0 {
		return netip.AddrFrom4([4]byte{10 + byte(i>>24), byte(i >> 16), byte(i >> 8), byte(i)})
	}
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i), 15: 1})
}

// soakServer is the built binary serving a temp data folder.
type soakServer struct {
	bin, data, base string
	cmd             *exec.Cmd
	log             string
	client          *http.Client
	workers         int
}

func startSoakServer(t *testing.T) *soakServer {
	t.Helper()
	dir := t.TempDir()
	s := &soakServer{bin: filepath.Join(dir, "safedesk"), data: filepath.Join(dir, "data"), log: filepath.Join(dir, "server.log"), workers: 8}
	if out, err := exec.Command("go", "build", "-o", s.bin, "safedesk").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	logFile, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	s.cmd = exec.Command(s.bin, "serve", "--demo", "--data", s.data, "--addr", "127.0.0.1:0", "--trusted-proxies", "127.0.0.1/32",
		"--api-rate", "1000000", "--api-burst", "1000000", "--backup-schedule", "off")
	s.cmd.Stderr = logFile
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	// "safedesk: serving http://localhost:PORT (listening on 127.0.0.1:PORT)"
	line, err := bufio.NewReader(stdout).ReadString('\n')
	_, addr, ok := strings.Cut(strings.TrimSpace(line), "(listening on ")
	if err != nil || !ok {
		t.Fatalf("serve printed %q, %v\n%s", line, err, s.logTail())
	}
	go io.Copy(io.Discard, stdout)
	s.base = "http://" + strings.TrimSuffix(addr, ")")
	s.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: s.workers}}
	return s
}

// token creates an API token that may write tickets and returns it.
func (s *soakServer) token(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(s.bin, "token", "create", "--data", s.data, "--scopes", "tickets:write", "--name", "soak").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// drive sends n requests, made by mk, from s.workers connections at once;
// every answer must have status want.
func (s *soakServer) drive(t *testing.T, n, want int, mk func(i int) (*http.Request, error)) {
	t.Helper()
	var (
		next, failed atomic.Int64
		first        sync.Once
		wg           sync.WaitGroup
	)
	for range s.workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				req, err := mk(i)
				var resp *http.Response
				if err == nil {
					resp, err = s.client.Do(req)
				}
				status := 0
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				if err != nil || status != want {
					failed.Add(1)
					first.Do(func() { t.Errorf("request %d: status %d, %v; want %d", i, status, err, want) })
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d requests failed\n%s", f, n, s.logTail())
	}
}

// soakMemory is the server's resident memory now and at its peak.
type soakMemory struct{ rss, peak int }

func (m soakMemory) String() string {
	return fmt.Sprintf("VmRSS %.1f MB, VmHWM %.1f MB", float64(m.rss)/(1<<20), float64(m.peak)/(1<<20))
}

func (s *soakServer) memory(t *testing.T) soakMemory {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var m soakMemory
	for line := range strings.Lines(string(b)) {
		for name, p := range map[string]*int{"VmRSS:": &m.rss, "VmHWM:": &m.peak} {
			if v, ok := strings.CutPrefix(line, name); ok {
				kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				if err != nil {
					t.Fatalf("%s %q: %v", name, v, err)
				}
				*p = kb << 10
			}
		}
	}
	if m.rss == 0 || m.peak == 0 {
		t.Fatalf("no VmRSS or VmHWM in:\n%s", b)
	}
	return m
}

// stop ends the server as a signal would and checks that it stops cleanly.
func (s *soakServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v\n%s", err, s.logTail())
		}
	case <-time.After(time.Minute):
		t.Fatalf("serve did not stop within a minute of SIGTERM\n%s", s.logTail())
	}
}

// logTail is the end of the server's log, for failure messages.
func (s *soakServer) logTail() string {
	b, _ := os.ReadFile(s.log)
	if i := bytes.LastIndexByte(b[:max(0, len(b)-4000)], '\n'); i > 0 {
		b = b[i+1:]
	}
	return string(b)
}
