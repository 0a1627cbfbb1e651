package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"safedesk/security"
	"safedesk/store"
)

// passkeyDevice is a software authenticator holding one credential, standing
// in for a person's phone or security key.
type passkeyDevice struct {
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func (e *testEnv) newDevice() *passkeyDevice {
	base := e.srv.cfg.BaseURL
	return &passkeyDevice{
		rp:   virtualwebauthn.RelyingParty{ID: base.Hostname(), Name: "Northwind", Origin: base.Scheme + "://" + base.Host},
		auth: virtualwebauthn.NewAuthenticator(),
		cred: virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2),
	}
}

// register answers registration options: a new discoverable credential.
func (d *passkeyDevice) register(t testing.TB, options string) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(options)
	if err != nil {
		t.Fatalf("attestation options %s: %v", options, err)
	}
	d.auth.Options.UserHandle = []byte(opts.UserID)
	resp := virtualwebauthn.CreateAttestationResponse(d.rp, d.auth, d.cred, *opts)
	d.auth.AddCredential(d.cred)
	return resp
}

// assert answers assertion options, moving the counter forward as real
// authenticators do.
func (d *passkeyDevice) assert(t testing.TB, options string) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(options)
	if err != nil {
		t.Fatalf("assertion options %s: %v", options, err)
	}
	d.cred.Counter++
	return virtualwebauthn.CreateAssertionResponse(d.rp, d.auth, d.cred, *opts)
}

// enrol follows a setup or invite link on c and registers d.
func (e *testEnv) enrol(c *client, d *passkeyDevice, link, name, email string) response {
	e.t.Helper()
	u, _ := url.Parse(link)
	page := c.get(u.RequestURI())
	if page.status != 200 || !strings.Contains(page.body, `data-passkey="register"`) {
		e.t.Fatalf("enrol page %s: %d\n%s", u.RequestURI(), page.status, page.body)
	}
	begin, finish := enrolPaths("setup", u.Query().Get("token"))
	if strings.HasPrefix(u.Path, "/admin/invite/") {
		begin, finish = enrolPaths("invite", strings.TrimPrefix(u.Path, "/admin/invite/"))
	}
	resp := c.post(begin, url.Values{"name": {name}, "email": {email}, "passkey_name": {"Test key"}})
	if resp.status != 200 {
		e.t.Fatalf("enrol begin: %d %s", resp.status, resp.body)
	}
	return c.postJSON(finish, d.register(e.t, resp.body))
}

// login signs c in with d.
func (e *testEnv) login(c *client, d *passkeyDevice) response {
	e.t.Helper()
	resp := c.post("/admin/login/begin", url.Values{"next": {"/admin/tickets"}})
	if resp.status != 200 {
		e.t.Fatalf("login begin: %d %s", resp.status, resp.body)
	}
	return c.postJSON("/admin/login/finish", d.assert(e.t, resp.body))
}

// stepUp confirms with d on c.
func (e *testEnv) stepUp(c *client, d *passkeyDevice) {
	e.t.Helper()
	resp := c.post("/admin/stepup/begin", nil)
	if resp.status != 200 {
		e.t.Fatalf("step-up begin: %d %s", resp.status, resp.body)
	}
	if fin := c.postJSON("/admin/stepup/finish", d.assert(e.t, resp.body)); fin.status != 200 {
		e.t.Fatalf("step-up finish: %d %s", fin.status, fin.body)
	}
}

// owner creates the owner account from a fresh setup link.
func (e *testEnv) owner() (*client, *passkeyDevice) {
	e.t.Helper()
	token, err := e.db.CreateSetupLink(context.Background(), store.SystemActor)
	if err != nil {
		e.t.Fatal(err)
	}
	c, d := e.client(), e.newDevice()
	resp := e.enrol(c, d, e.http.URL+"/admin/setup?token="+token, "Olive Owner", "olive@northwind.example")
	if resp.status != 200 || !strings.Contains(resp.body, "/admin/tickets") {
		e.t.Fatalf("owner enrolment: %d %s", resp.status, resp.body)
	}
	return c, d
}

// member invites and enrols a staff member with role, signed in on a new
// client.
func (e *testEnv) member(role security.Role, email string) (*client, *passkeyDevice, store.Staff) {
	e.t.Helper()
	token, err := e.db.CreateInvite(context.Background(), email, role, 0, store.SystemActor)
	if err != nil {
		e.t.Fatal(err)
	}
	c, d := e.client(), e.newDevice()
	if resp := e.enrol(c, d, e.http.URL+"/admin/invite/"+token, "Member "+string(role), ""); resp.status != 200 {
		e.t.Fatalf("enrol %s: %d %s", role, resp.status, resp.body)
	}
	st, err := e.db.GetStaffByHandle(context.Background(), d.auth.Options.UserHandle)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, d, st
}

func (e *testEnv) events(kind string) int {
	e.t.Helper()
	evs, err := e.db.ListSecurityEvents(context.Background(), store.EventFilter{Kind: kind})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(evs)
}

func TestOwnerSetupSignOutSignIn(t *testing.T) {
	env := newTestServer(t)
	c, d := env.owner()
	if resp := c.get("/admin/tickets"); resp.status != 200 || !strings.Contains(resp.body, "Olive Owner") {
		t.Fatalf("after setup: %d", resp.status)
	}
	if resp := c.post("/admin/logout", nil); resp.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.status)
	}
	if resp := c.get("/admin/tickets"); resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.header.Get("Location"), "/admin/login") {
		t.Fatalf("signed out but got %d %s", resp.status, resp.header.Get("Location"))
	}
	resp := env.login(c, d)
	if resp.status != 200 || !strings.Contains(resp.body, `"redirect":"/admin/tickets"`) {
		t.Fatalf("sign in: %d %s", resp.status, resp.body)
	}
	if resp := c.get("/admin/tickets"); resp.status != 200 {
		t.Fatalf("after sign in: %d", resp.status)
	}
	page := c.get("/admin/login")
	if page.status != http.StatusSeeOther {
		t.Fatalf("login page when signed in: %d", page.status)
	}
	if page := env.client().get("/admin/login"); page.status != 200 || !strings.Contains(page.body, `data-passkey="login"`) {
		t.Fatalf("login page for a signed-out visitor: %d, or it lacks the passkey button", page.status)
	}
}

func TestSetupLinkSingleUseAndExpiry(t *testing.T) {
	env := newTestServer(t)
	token, _ := env.db.CreateSetupLink(context.Background(), store.SystemActor)
	c := env.client()
	env.enrol(c, env.newDevice(), env.http.URL+"/admin/setup?token="+token, "Olive", "olive@northwind.example")
	t.Run("used twice", func(t *testing.T) {
		resp := env.client().get("/admin/setup?token=" + token)
		if resp.status != http.StatusGone || !strings.Contains(resp.body, "already been used") {
			t.Fatalf("got %d\n%s", resp.status, resp.body)
		}
		begin, _ := enrolPaths("setup", token)
		if r := env.client().post(begin, url.Values{"name": {"Eve"}, "email": {"eve@x.example"}}); r.status != http.StatusGone {
			t.Fatalf("begin with a used link: %d", r.status)
		}
	})
	t.Run("expired", func(t *testing.T) {
		token, _ := env.db.CreateSetupLink(context.Background(), store.SystemActor)
		env.clock.advance(61 * time.Minute)
		resp := env.client().get("/admin/setup?token=" + token)
		if resp.status != http.StatusGone || !strings.Contains(resp.body, "expired") {
			t.Fatalf("got %d\n%s", resp.status, resp.body)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if resp := env.client().get("/admin/setup?token=nope"); resp.status != http.StatusNotFound {
			t.Fatalf("got %d", resp.status)
		}
	})
	t.Run("a new link ends the unused one", func(t *testing.T) {
		first, _ := env.db.CreateSetupLink(context.Background(), store.SystemActor)
		env.db.CreateSetupLink(context.Background(), store.SystemActor)
		resp := env.client().get("/admin/setup?token=" + first)
		if resp.status != http.StatusGone || !strings.Contains(resp.body, "replaced by a newer link") || strings.Contains(resp.body, "expired") {
			t.Fatalf("the older link: %d, want 410 saying it was replaced\n%s", resp.status, resp.body)
		}
	})
	n, _ := env.db.CountStaff(context.Background())
	if n != 1 {
		t.Fatalf("%d staff, want 1", n)
	}
}

func TestReplayedAssertionRefused(t *testing.T) {
	env := newTestServer(t)
	_, d := env.owner()
	c := env.client()
	begin := c.post("/admin/login/begin", nil)
	assertion := d.assert(t, begin.body)
	if resp := c.postJSON("/admin/login/finish", assertion); resp.status != 200 {
		t.Fatalf("first finish: %d %s", resp.status, resp.body)
	}
	// The same answer again, on a client that still knows the ceremony.
	attacker := env.client()
	attacker.c.Jar = c.c.Jar
	if resp := attacker.postJSON("/admin/login/finish", assertion); resp.status == 200 {
		t.Fatal("a replayed assertion signed in")
	}
	// A second finish of one ceremony, racing the first, finds nothing.
	c2 := env.client()
	b2 := c2.post("/admin/login/begin", nil)
	a2 := d.assert(t, b2.body)
	jar := c2.c.Jar
	first := c2.postJSON("/admin/login/finish", a2)
	second := (&client{env: env, c: &http.Client{Jar: jar, CheckRedirect: c2.c.CheckRedirect}}).postJSON("/admin/login/finish", a2)
	if first.status != 200 || second.status != http.StatusBadRequest {
		t.Fatalf("finish twice: %d then %d", first.status, second.status)
	}
}

func TestCeremonyDeletedAtFirstUse(t *testing.T) {
	env := newTestServer(t)
	id, err := env.db.SaveCeremony(context.Background(), "login", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.TakeCeremony(context.Background(), id, "login"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.TakeCeremony(context.Background(), id, "login"); err != store.ErrNotFound {
		t.Fatalf("second take: %v, want ErrNotFound", err)
	}
}

func TestSignCountGoingBackwardsRefused(t *testing.T) {
	env := newTestServer(t)
	_, d := env.owner()
	for i := 0; i < 3; i++ {
		if resp := env.login(env.client(), d); resp.status != 200 {
			t.Fatalf("sign-in %d: %d", i, resp.status)
		}
	}
	d.cred.Counter = 0 // a cloned authenticator, behind the original
	resp := env.login(env.client(), d)
	if resp.status != http.StatusUnauthorized {
		t.Fatalf("cloned authenticator: %d %s", resp.status, resp.body)
	}
	if env.events("passkey.sign_count_regressed") != 1 {
		t.Fatal("no security event for the sign count")
	}
}

func TestBackupEligibleFlagPolicy(t *testing.T) {
	env := newTestServer(t)
	_, d := env.owner()
	st, _ := env.db.GetStaffByHandle(context.Background(), d.auth.Options.UserHandle)
	pks, _ := env.db.ListPasskeys(context.Background(), st.ID)
	if len(pks) != 1 || pks[0].BackupEligible {
		t.Fatalf("stored flags: %+v", pks)
	}
	d.auth.Options.BackupEligible = true // the flag is fixed at registration
	if resp := env.login(env.client(), d); resp.status != http.StatusUnauthorized {
		t.Fatalf("changed BE flag: %d", resp.status)
	}
	if env.events("passkey.backup_eligible_changed") != 1 {
		t.Fatal("no security event for the BE flag")
	}
	pks, _ = env.db.ListPasskeys(context.Background(), st.ID)
	if pks[0].BackupEligible {
		t.Fatal("the stored BE flag changed")
	}
	t.Run("backup state may change", func(t *testing.T) {
		env := newTestServer(t)
		token, _ := env.db.CreateSetupLink(context.Background(), store.SystemActor)
		d := env.newDevice()
		d.auth.Options.BackupEligible = true // a synced passkey, not yet backed up
		if resp := env.enrol(env.client(), d, env.http.URL+"/admin/setup?token="+token, "Olive", "olive@northwind.example"); resp.status != 200 {
			t.Fatalf("enrol: %d", resp.status)
		}
		d.auth.Options.BackupState = true // the sync service has now backed it up
		if resp := env.login(env.client(), d); resp.status != 200 {
			t.Fatalf("sign-in after the backup state changed: %d %s", resp.status, resp.body)
		}
		st, _ := env.db.GetStaffByHandle(context.Background(), d.auth.Options.UserHandle)
		pks, _ := env.db.ListPasskeys(context.Background(), st.ID)
		if len(pks) != 1 || !pks[0].BackupEligible || !pks[0].BackupState {
			t.Fatalf("stored flags %+v, want BE and BS set", pks)
		}
	})
}

func TestUnknownCredentialRefused(t *testing.T) {
	env := newTestServer(t)
	env.owner()
	stranger := env.newDevice()
	stranger.auth.Options.UserHandle = []byte("not a real user handle........!!")
	stranger.auth.AddCredential(stranger.cred)
	if resp := env.login(env.client(), stranger); resp.status != http.StatusUnauthorized {
		t.Fatalf("unknown credential: %d", resp.status)
	}
	if env.events("passkey.unknown_credential") != 1 {
		t.Fatal("no security event")
	}
}

func TestIPRelyingPartyRejected(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "https://[::1]:8443", "https://203.0.113.5"} {
		u, _ := url.Parse(base)
		if _, err := newWebAuthn(Config{BaseURL: u, Product: "x"}); err == nil || !strings.Contains(err.Error(), "IP address") {
			t.Errorf("%s: %v", base, err)
		}
	}
	u, _ := url.Parse("http://localhost:8080")
	if _, err := newWebAuthn(Config{BaseURL: u, Product: "x"}); err != nil {
		t.Fatalf("localhost: %v", err)
	}
}

func TestDisabledAccountsOldCookieRefused(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	agent, _, st := env.member(security.RoleAgent, "agent@northwind.example")
	if resp := agent.get("/admin/tickets"); resp.status != 200 {
		t.Fatalf("agent before: %d", resp.status)
	}
	if resp := owner.post("/admin/staff/"+itoa(st.ID)+"/disable", nil); resp.status != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", resp.status, resp.body)
	}
	resp := agent.get("/admin/tickets")
	if resp.status != http.StatusSeeOther || !strings.Contains(resp.header.Get("Location"), "/admin/login") {
		t.Fatalf("disabled agent: %d %s", resp.status, resp.header.Get("Location"))
	}
	if resp := agent.post("/admin/tickets/1/reply", url.Values{"body": {"x"}}); resp.status != http.StatusUnauthorized {
		t.Fatalf("disabled agent post: %d", resp.status)
	}
}

func TestIdleTimeoutAndPolling(t *testing.T) {
	env := newTestServer(t)
	c, _ := env.owner()
	env.clock.advance(10 * time.Minute)
	if resp := c.getHTMX("/admin/live/queue"); resp.status != 200 {
		t.Fatalf("poll: %d", resp.status)
	}
	env.clock.advance(6 * time.Minute) // 16 minutes since the last action
	resp := c.getHTMX("/admin/live/queue")
	if resp.status != http.StatusUnauthorized || resp.header.Get("HX-Redirect") != "/admin/login?why=idle" {
		t.Fatalf("poll after idle: %d %q", resp.status, resp.header.Get("HX-Redirect"))
	}
	if resp := c.get("/admin/tickets"); resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.header.Get("Location"), "/admin/login") {
		t.Fatalf("after idle: %d %s", resp.status, resp.header.Get("Location"))
	}
	t.Run("a page load after idle says why", func(t *testing.T) {
		env := newTestServer(t)
		c, _ := env.owner()
		env.clock.advance(16 * time.Minute)
		resp := c.get("/admin/tickets")
		if resp.status != http.StatusSeeOther || !strings.Contains(resp.header.Get("Location"), "why=idle") {
			t.Fatalf("after idle: %d %s", resp.status, resp.header.Get("Location"))
		}
	})
}

func TestActivityKeepsSessionAlive(t *testing.T) {
	env := newTestServer(t)
	c, _ := env.owner()
	for i := 0; i < 4; i++ {
		env.clock.advance(10 * time.Minute)
		if resp := c.get("/admin/tickets"); resp.status != 200 {
			t.Fatalf("after %d×10 min of activity: %d", i+1, resp.status)
		}
	}
}

func TestConcurrentSessionPolicies(t *testing.T) {
	t.Run("replace", func(t *testing.T) {
		env := newTestServer(t)
		first, d := env.owner()
		second := env.client()
		if resp := env.login(second, d); resp.status != 200 {
			t.Fatalf("second sign-in: %d", resp.status)
		}
		resp := first.get("/admin/tickets")
		if resp.status != http.StatusSeeOther || !strings.Contains(resp.header.Get("Location"), "why=replaced") {
			t.Fatalf("first session: %d %s", resp.status, resp.header.Get("Location"))
		}
		if second.get("/admin/tickets").status != 200 {
			t.Fatal("the new session does not work")
		}
	})
	t.Run("block", func(t *testing.T) {
		env := newTestServerWith(t, func(c *Config) { c.StaffSessions = store.SessionsBlock })
		first, d := env.owner()
		if resp := env.login(env.client(), d); resp.status != http.StatusConflict {
			t.Fatalf("second sign-in: %d", resp.status)
		}
		if first.get("/admin/tickets").status != 200 {
			t.Fatal("the first session ended")
		}
	})
}

func TestStepUpContinuesTheAction(t *testing.T) {
	env := newTestServer(t)
	owner, d := env.owner()
	_, _, agent := env.member(security.RoleAgent, "agent@northwind.example")
	env.clock.advance(6 * time.Minute)
	owner.get("/admin/staff") // activity, so only the step-up is stale
	form := url.Values{"role": {"kb_editor"}}
	resp := owner.post("/admin/staff/"+itoa(agent.ID)+"/role", form)
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, `data-passkey="stepup"`) || !strings.Contains(resp.body, `value="kb_editor"`) {
		t.Fatalf("stale step-up: %d\n%s", resp.status, resp.body)
	}
	if st, _ := env.db.GetStaff(context.Background(), agent.ID); st.Role != security.RoleAgent {
		t.Fatal("the role changed without step-up")
	}
	env.stepUp(owner, d)
	if resp := owner.post("/admin/staff/"+itoa(agent.ID)+"/role", form); resp.status != http.StatusSeeOther {
		t.Fatalf("after step-up: %d %s", resp.status, resp.body)
	}
	if st, _ := env.db.GetStaff(context.Background(), agent.ID); st.Role != security.RoleKBEditor {
		t.Fatalf("role %s, want kb_editor", st.Role)
	}
	if owner.get("/admin/tickets").status != 200 {
		t.Fatal("the session broke after the step-up renewed its token")
	}
}

func TestAdminCrossOriginRefused(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	req, _ := http.NewRequest("POST", env.http.URL+"/admin/staff/invite", strings.NewReader("email=x%40example.org&role=admin"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp := owner.do(req); resp.status != http.StatusForbidden {
		t.Fatalf("cross-origin post: %d", resp.status)
	}
	if n, _ := env.db.CountStaff(context.Background()); n != 1 {
		t.Fatal("something changed")
	}
}

func TestInviteFlow(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	resp := owner.post("/admin/staff/invite", url.Values{"email": {"new.agent@northwind.example"}, "role": {"agent"}})
	if resp.status != 200 || !strings.Contains(resp.body, `data-testid="invite-link"`) {
		t.Fatalf("invite: %d", resp.status)
	}
	m := env.mail.next(t)
	link := regexpFind(t, `http://\S+/admin/invite/\S+`, m.Text)
	c, d := env.client(), env.newDevice()
	if r := env.enrol(c, d, link, "Nina Agent", "ignored@example.org"); r.status != 200 {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	st, _ := env.db.GetStaffByHandle(context.Background(), d.auth.Options.UserHandle)
	if st.Email != "new.agent@northwind.example" || st.Role != security.RoleAgent {
		t.Fatalf("enrolled %+v", st)
	}
	u, _ := url.Parse(link)
	if r := env.client().get(u.Path); r.status != http.StatusGone {
		t.Fatalf("second use: %d", r.status)
	}
	t.Run("validation keeps the typed address", func(t *testing.T) {
		r := owner.post("/admin/staff/invite", url.Values{"email": {"not an address"}, "role": {"agent"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "not an address") {
			t.Fatalf("bad invite: %d", r.status)
		}
	})
	t.Run("admins cannot invite owners", func(t *testing.T) {
		admin, _, _ := env.member(security.RoleAdmin, "admin@northwind.example")
		if r := admin.post("/admin/staff/invite", url.Values{"email": {"o2@northwind.example"}, "role": {"owner"}}); r.status != http.StatusForbidden {
			t.Fatalf("admin inviting an owner: %d", r.status)
		}
	})
}

func TestPasskeyManagement(t *testing.T) {
	env := newTestServer(t)
	c, d := env.owner()
	st, _ := env.db.GetStaffByHandle(context.Background(), d.auth.Options.UserHandle)
	pks, _ := env.db.ListPasskeys(context.Background(), st.ID)
	if r := c.post("/admin/passkeys/"+itoa(pks[0].ID)+"/remove", nil); r.status != http.StatusSeeOther {
		t.Fatalf("remove last: %d", r.status)
	}
	if pks2, _ := env.db.ListPasskeys(context.Background(), st.ID); len(pks2) != 1 {
		t.Fatal("the last passkey was removed")
	}
	// Add a second passkey on another device.
	d2 := env.newDevice()
	d2.auth.Options.UserHandle = d.auth.Options.UserHandle
	begin := c.post("/admin/passkeys/begin", url.Values{"passkey_name": {"Phone"}})
	if begin.status != 200 {
		t.Fatalf("add begin: %d %s", begin.status, begin.body)
	}
	if fin := c.postJSON("/admin/passkeys/finish", d2.register(t, begin.body)); fin.status != 200 {
		t.Fatalf("add finish: %d %s", fin.status, fin.body)
	}
	if r := env.login(env.client(), d2); r.status != 200 {
		t.Fatalf("sign in with the new passkey: %d", r.status)
	}
	pks, _ = env.db.ListPasskeys(context.Background(), st.ID)
	if len(pks) != 2 || pks[1].Name != "Phone" {
		t.Fatalf("passkeys %+v", pks)
	}
	c = env.client()
	env.login(c, d)
	if r := c.post("/admin/passkeys/"+itoa(pks[1].ID)+"/rename", url.Values{"name": {"Old phone"}}); r.status != http.StatusSeeOther {
		t.Fatalf("rename: %d", r.status)
	}
	if r := c.post("/admin/passkeys/"+itoa(pks[1].ID)+"/remove", nil); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.status)
	}
	if pks, _ = env.db.ListPasskeys(context.Background(), st.ID); len(pks) != 1 {
		t.Fatalf("%d passkeys after removal", len(pks))
	}
	if r := env.login(env.client(), d2); r.status == 200 {
		t.Fatal("a removed passkey still signs in")
	}
}

func TestCustomerPIIMaskedUntilRevealed(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "carol.customer@example.org", Name: "Carol Jones", Subject: "Grinder", Body: "Hi"}, store.Actor{Type: store.ActorVisitor})
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/customers/" + itoa(tk.CustomerID)
	for name, c := range map[string]*client{"agent": agent, "owner": owner} {
		resp := c.get(path)
		if resp.status != 200 || strings.Contains(resp.body, "carol.customer") || strings.Contains(resp.body, "Carol Jones") || !strings.Contains(resp.body, "c***@example.org") {
			t.Fatalf("%s sees unmasked data or no mask (%d)", name, resp.status)
		}
	}
	if resp := agent.post(path+"/reveal", nil); resp.status != http.StatusForbidden {
		t.Fatalf("agent reveal: %d", resp.status)
	}
	resp := owner.post(path+"/reveal", nil)
	if resp.status != 200 || !strings.Contains(resp.body, "carol.customer@example.org") {
		t.Fatalf("owner reveal: %d", resp.status)
	}
	entries, _ := env.db.ListAudit(context.Background(), store.AuditFilter{Action: "customer.pii_revealed"})
	if len(entries) != 1 || entries[0].Target != "customer:"+itoa(tk.CustomerID) {
		t.Fatalf("reveal audit: %+v", entries)
	}
}

func TestAdminTicketWork(t *testing.T) {
	env := newTestServer(t)
	_, _ = env.owner()
	agent, _, agentStaff := env.member(security.RoleAgent, "agent@northwind.example")
	customer, path := env.signIn("dora@example.org", "Kettle leaks", "It drips.")
	id := strings.TrimPrefix(path, "/tickets/")
	if resp := agent.get("/admin/tickets?status=open"); !strings.Contains(resp.body, "Kettle leaks") {
		t.Fatalf("queue lacks the ticket: %d", resp.status)
	}
	if resp := agent.get("/admin/tickets?q=kettle"); !strings.Contains(resp.body, "Kettle leaks") {
		t.Fatal("text filter misses")
	}
	if resp := agent.get("/admin/tickets?q=nothing-like-it"); strings.Contains(resp.body, "Kettle leaks") {
		t.Fatal("text filter matches wrongly")
	}
	agent.post("/admin/tickets/"+id+"/reply", url.Values{"body": {"Internal: check batch 42"}, "internal": {"1"}})
	agent.post("/admin/tickets/"+id+"/reply", url.Values{"body": {"Please send a photo."}})
	m := env.mail.next(t)
	if m.To != "dora@example.org" || strings.Contains(m.Text, "photo") || strings.Contains(m.Text, "Kettle") {
		t.Fatalf("notification carries text or goes wrong: %q", m.Text)
	}
	page := customer.get(path)
	if !strings.Contains(page.body, "Please send a photo.") || strings.Contains(page.body, "batch 42") {
		t.Fatal("customer sees the internal note or misses the reply")
	}
	resp := agent.post("/admin/tickets/"+id+"/update", url.Values{"priority": {"high"}, "assignee": {itoa(agentStaff.ID)}, "status": {"pending"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", resp.status, resp.body)
	}
	if resp := agent.get("/admin/tickets?assignee=me&priority=high"); !strings.Contains(resp.body, "Kettle leaks") {
		t.Fatal("assignee/priority filter misses")
	}
	if resp := agent.post("/admin/tickets/"+id+"/update", url.Values{"status": {"bogus"}}); resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad status: %d", resp.status)
	}
	if resp := agent.post("/admin/tickets/"+id+"/reply", url.Values{"body": {""}}); resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty reply: %d", resp.status)
	}
}

func TestKBEditor(t *testing.T) {
	env := newTestServer(t)
	env.owner()
	ed, _, _ := env.member(security.RoleKBEditor, "editor@northwind.example")
	form := url.Values{"title": {"Brew guide"}, "slug": {"brew-guide"}, "body": {"# Hi\n\nText with <script>alert(1)</script> inline and **bold**."}, "published": {"1"}}
	if resp := ed.post("/admin/kb/new", form); resp.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	pub := env.client().get("/kb/brew-guide")
	if pub.status != 200 || strings.Contains(pub.body, "<script>alert") || !strings.Contains(pub.body, "<strong>bold</strong>") {
		t.Fatalf("published article: %d", pub.status)
	}
	if res := env.client().get("/kb/search?q=brew"); !strings.Contains(res.body, "Brew guide") {
		t.Fatal("search index not in step")
	}
	form.Set("published", "")
	form.Del("published")
	ed.post("/admin/kb/brew-guide/edit", form)
	if env.client().get("/kb/brew-guide").status != 404 {
		t.Fatal("unpublished article still public")
	}
	if resp := ed.post("/admin/kb/new", url.Values{"title": {"X"}, "slug": {"Bad Slug"}, "body": {"typed text"}}); resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "typed text") {
		t.Fatalf("bad slug: %d", resp.status)
	}
	prev := ed.post("/admin/kb/preview", url.Values{"body": {"*hi* <b>x</b>"}})
	if !strings.Contains(prev.body, "<em>hi</em>") || strings.Contains(prev.body, "<b>x</b>") {
		t.Fatalf("preview: %s", prev.body)
	}
}

func TestSessionsPage(t *testing.T) {
	env := newTestServer(t)
	c, _ := env.owner()
	resp := c.get("/admin/sessions")
	if resp.status != 200 || strings.Count(resp.body, `data-testid="session-row"`) != 1 || !strings.Contains(resp.body, "this browser") {
		t.Fatalf("sessions page: %d", resp.status)
	}
	if r := c.post("/admin/sessions/revoke-all", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", r.status)
	}
	if r := c.get("/admin/tickets"); r.status != http.StatusSeeOther {
		t.Fatalf("after sign out everywhere: %d", r.status)
	}
}

func itoa(n int64) string { return strconvFormat(n) }

func regexpFind(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexpMust(pattern).FindString(s)
	if m == "" {
		t.Fatalf("no %s in %q", pattern, s)
	}
	return m
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

func regexpMust(p string) *regexp.Regexp { return regexp.MustCompile(p) }

func TestSettingsBanner(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	visitor := env.client()
	visitor.get("/kb/returns-and-refunds") // fill the article page cache
	if r := owner.post("/admin/settings", url.Values{"banner": {"Closed on 24 December"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/", "/kb/returns-and-refunds"} {
		if body := visitor.get(path).body; !strings.Contains(body, "Closed on 24 December") {
			t.Fatalf("%s lacks the banner", path)
		}
	}
	if r := owner.post("/admin/settings", url.Values{"banner": {strings.Repeat("x", 301)}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("over-long banner: %d", r.status)
	}
	auditor, _, _ := env.member(security.RoleAuditor, "aud@northwind.example")
	if r := auditor.get("/admin/settings"); r.status != 200 || strings.Contains(r.body, `name="banner"`) {
		t.Fatalf("auditor settings page: %d", r.status)
	}
}
