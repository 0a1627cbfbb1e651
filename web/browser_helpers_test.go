package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Browser tests drive headless Chromium against a test server, with the
// DevTools virtual authenticator standing in for the person's passkey
// device. They skip where Chromium is missing and fail instead when CI is
// set (.ci/run installs Debian's chromium).

const (
	browserStepTimeout = 15 * time.Second // one action or one wait
	browserPoll        = 50 * time.Millisecond
)

// chromiumPath finds the browser, or skips (fails under CI) without one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "browser tests need Chromium (Debian: apt-get install chromium); none found on PATH or at /usr/bin/chromium"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser is one headless Chromium tab pointed at a test server. It records
// everything the page reports that a person could not see but should never
// happen: uncaught exceptions, console errors, CSP violations.
type browser struct {
	t    *testing.T
	env  *testEnv
	ctx  context.Context
	auth webauthn.AuthenticatorID // the first virtual passkey device
	log  *pageLog
}

// pageLog keeps what the pages reported, filled from the tab's event loop.
type pageLog struct {
	mu       sync.Mutex
	problems []string
}

// as is b reporting failures to t (a subtest).
func (b *browser) as(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

// cspReporter runs before any page script in every document and turns each
// CSP violation into a console error the test collects.
const cspReporter = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline code") +
    " in " + e.sourceFile + ":" + e.lineNumber);
});`

// newBrowser starts Chromium with a fresh profile, a virtual passkey
// device and the problem recorder. The browser stops when the test ends.
func newBrowser(t *testing.T, env *testEnv) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // the sandbox cannot run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before TempDir goes
	})
	b := &browser{t: t, env: env, ctx: ctx, log: &pageLog{}}

	// The first action starts the browser and binds it to ctx, so it gets
	// no timeout of its own; a watchdog bounds it instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start Chromium (%s): %v", exe, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Chromium (%s) did not start within 30s", exe)
	}

	if err := chromedp.Listen(ctx, b.log.record); err != nil {
		t.Fatal(err)
	}
	step, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(step, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(step, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	b.auth = b.addAuthenticator(webauthn.AuthenticatorTransportInternal)
	return b
}

// record runs in the tab's event loop: it must return fast.
func (l *pageLog) record(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = "uncaught exception: " + d.Text
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
		p += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var args []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				args = append(args, strings.Trim(string(a.Value), `"`))
			} else {
				args = append(args, a.Description)
			}
		}
		p = "console.error: " + strings.Join(args, " ")
	case *log.EventEntryAdded:
		e := ev.Entry
		// A 4xx answer is logged by the browser as a network error; the
		// panel answers 401 (step-up) and 422 (form errors) on purpose.
		if e.Source == log.EntrySourceNetwork {
			return
		}
		if e.Level != log.EntryLevelError && e.Source != log.EntrySourceSecurity {
			return
		}
		p = fmt.Sprintf("browser %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL)
	default:
		return
	}
	l.mu.Lock()
	l.problems = append(l.problems, p)
	l.mu.Unlock()
}

// takeProblems returns and forgets what the page reported so far.
func (b *browser) takeProblems() []string {
	b.log.mu.Lock()
	defer b.log.mu.Unlock()
	p := b.log.problems
	b.log.problems = nil
	return p
}

// noProblems fails the test if any page reported a CSP violation, an
// uncaught exception or a console error since the last check.
func (b *browser) noProblems(where string) {
	b.t.Helper()
	b.settle()
	if p := b.takeProblems(); len(p) > 0 {
		b.t.Errorf("%s: the page reported:\n  %s", where, strings.Join(p, "\n  "))
	}
}

// do runs actions with a bounded timeout and fails the test with what the
// page shows when one fails.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.describe())
	}
}

// open navigates to path under the server's base URL: http://localhost:PORT,
// never the IP address, which cannot be a WebAuthn relying party.
func (b *browser) open(path string) {
	b.t.Helper()
	base := strings.TrimSuffix(b.env.srv.cfg.BaseURL.String(), "/")
	b.do("open "+path, chromedp.Navigate(base+path))
}

// evalAs evaluates a JavaScript expression in the page.
func evalAs[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
}

// eval runs JavaScript in the page for its effect.
func (b *browser) eval(expr string) {
	b.t.Helper()
	if _, err := evalAs[chromedp.Void](b, expr); err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
}

// settle lets the page run the tasks it has queued (a CSP violation is
// reported in one) and their console events reach the test.
func (b *browser) settle() {
	b.t.Helper()
	if _, err := evalAs[chromedp.Void](b, "new Promise(function (done) { setTimeout(done, 0); })", chromedp.EvalAwaitPromise); err != nil {
		b.t.Fatalf("settle: %v", err)
	}
	b.eval("0") // events travel beside command replies: one more round trip
}

// waitFor polls a JavaScript condition until it holds, across page loads,
// and fails the test with what the page shows when the deadline passes.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := evalAs[bool](b, "!!("+cond+")")
		if err == nil && ok {
			return
		}
		lastErr = err // a page being replaced answers with an error
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("%s: %v", what, b.ctx.Err())
		case <-time.After(browserPoll):
		}
	}
	b.t.Fatalf("%s: still not true after %s (%s; last error %v)\n%s", what, browserStepTimeout, cond, lastErr, b.describe())
}

// waitPage waits for the browser to show path with text somewhere visible.
func (b *browser) waitPage(path, text string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("page %s showing %q", path, text),
		fmt.Sprintf("document.readyState === 'complete' && location.pathname === %q && document.body && document.body.innerText.includes(%q)", path, text))
}

// waitPageMatch is waitPage for a path matching a regular expression.
func (b *browser) waitPageMatch(pathRe, text string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("page %s showing %q", pathRe, text),
		fmt.Sprintf("document.readyState === 'complete' && new RegExp(%q).test(location.pathname) && document.body && document.body.innerText.includes(%q)", pathRe, text))
}

// text is the visible text of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v\n%s", sel, err, b.describe())
	}
	return s
}

// describe is the page's address and the start of its visible text, for
// failure messages.
func (b *browser) describe() string {
	s, err := evalAs[string](b, `location.href + "\n" + (document.body ? document.body.innerText.slice(0, 1500) : "(no body)")`)
	if err != nil {
		return "(page unreadable: " + err.Error() + ")"
	}
	return "page: " + s
}

// addAuthenticator plugs in a virtual passkey device: CTAP 2.1 with
// resident keys, and user verification (PIN, fingerprint) that succeeds
// without anyone touching it.
func (b *browser) addAuthenticator(transport webauthn.AuthenticatorTransport) webauthn.AuthenticatorID {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   transport,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		b.t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// removeAuthenticator unplugs a virtual device with its passkeys.
func (b *browser) removeAuthenticator(id webauthn.AuthenticatorID) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id}); err != nil {
		b.t.Fatalf("WebAuthn.removeVirtualAuthenticator: %v", err)
	}
}

// credentials is the number of passkeys a virtual device holds.
func (b *browser) credentials(id webauthn.AuthenticatorID) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.t.Fatal(err)
	}
	return len(res.Credentials)
}

// screenshot saves a full-page PNG into the folder named by
// SAFEDESK_SCREENSHOTS (e.g. /tmp/shots), for a person to look at; without
// it, nothing is written.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("SAFEDESK_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
