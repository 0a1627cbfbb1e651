package mailtest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// Proxy stands between the client and an IMAPServer on loopback, so a
// test can do to the connections what networks and providers do: cut them
// all at once (Drop), or hide the server's IDLE (HideIdle), as a server
// without it would.
type Proxy struct {
	Addr     string
	target   *IMAPServer
	hideIdle bool

	mu       sync.Mutex
	conns    map[net.Conn]bool
	accepted int
}

// Proxy starts a proxy to s that the test's end closes; hideIdle removes
// IDLE from every capability list the server sends.
func (s *IMAPServer) Proxy(tb testing.TB, hideIdle bool) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{target: s, hideIdle: hideIdle, conns: map[net.Conn]bool{}}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p.Addr = "localhost:" + port
	var wg sync.WaitGroup
	wg.Go(func() { p.serve(ln, &wg) })
	tb.Cleanup(func() {
		ln.Close()
		p.Drop()
		wg.Wait()
	})
	return p
}

// URL is the --imap URL of the INBOX through the proxy.
func (p *Proxy) URL() string {
	return strings.Replace(p.target.URL(), p.target.Addr, p.Addr, 1)
}

// Drop closes every open connection, both ways, as a lost network does.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Accepted is how many connections the proxy has taken so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *Proxy) serve(ln net.Listener, wg *sync.WaitGroup) {
	for {
		client, err := ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", strings.Replace(p.target.Addr, "localhost", "127.0.0.1", 1))
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.accepted++
		p.conns[client], p.conns[server] = true, true
		p.mu.Unlock()
		wg.Go(func() { p.pipe(client, server, false) })
		wg.Go(func() { p.pipe(server, client, p.hideIdle) })
	}
}

// pipe copies from src to dst until either closes, then closes both;
// filter drops IDLE from capability lists, line by line.
func (p *Proxy) pipe(src, dst net.Conn, filter bool) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, src)
		delete(p.conns, dst)
		p.mu.Unlock()
		src.Close()
		dst.Close()
	}()
	if !filter {
		_, _ = io.Copy(dst, src) // ends when either side closes
		return
	}
	r := bufio.NewReader(src)
	for {
		line, err := r.ReadBytes('\n')
		if bytes.Contains(line, []byte("CAPABILITY")) {
			line = bytes.ReplaceAll(line, []byte(" IDLE"), nil)
		}
		if _, werr := dst.Write(line); werr != nil || err != nil {
			return
		}
	}
}
