package security

import "strings"

// ProbePath reports whether a request path is a vulnerability scanner's
// probe: a file or application safedesk never serves (/.env, /.git/,
// /wp-login.php, /phpmyadmin, /actuator, …), a script extension (.php,
// .asp, .jsp, …), a traversal (../ and its encodings) or a NUL byte. sig
// names what matched.
//
// Pass the path as sent, r.URL.EscapedPath() or r.RequestURI, so that encoded
// traversal is still visible; anything after '?' is ignored. Names of other
// applications are only matched outside safedesk's own route prefixes, so a
// knowledge-base slug such as /kb/phpmyadmin is not a probe; dotfiles,
// script extensions and traversal are probes anywhere. It does not allocate.
func ProbePath(path string) (sig string, ok bool) {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if sig, ok := probeEncoding(path); ok {
		return sig, true
	}
	own := false
	first := true
	for start := 0; start < len(path); {
		if path[start] == '/' || path[start] == '\\' {
			start++
			continue
		}
		end := start
		for end < len(path) && path[end] != '/' && path[end] != '\\' {
			end++
		}
		seg := path[start:end]
		if first {
			own, _ = probeLookup(probeOwnRoots, seg)
			first = false
		}
		if sig, ok := probeSegment(seg, own); ok {
			return sig, true
		}
		start = end
	}
	return "", false
}

// probeEncoding finds traversal and NUL bytes, raw or percent-encoded.
func probeEncoding(p string) (string, bool) {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case 0:
			return "probe: nul byte", true
		case '.':
			if i+1 < len(p) && p[i+1] == '.' && probeSegmentEdge(p, i-1) &&
				(i+2 == len(p) || probeSegmentEdge(p, i+2) || p[i+2] == ';' ||
					scanHasAt(p, i+2, "%2f") || scanHasAt(p, i+2, "%5c")) {
				return "probe: path traversal", true
			}
			if scanHasAt(p, i+1, "%2e") {
				return "probe: encoded traversal", true
			}
		case '%':
			switch {
			case scanHasAt(p, i, "%00"):
				return "probe: encoded nul byte", true
			case scanHasAt(p, i, "%2e%2e"), scanHasAt(p, i, "%2e."):
				return "probe: encoded traversal", true
			case scanHasAt(p, i, "%c0%ae"), scanHasAt(p, i, "%c0%af"), scanHasAt(p, i, "%e0%80%ae"):
				return "probe: overlong utf-8 traversal", true
			case scanHasAt(p, i, "%252e"), scanHasAt(p, i, "%252f"), scanHasAt(p, i, "%255c"), scanHasAt(p, i, "%2500"):
				return "probe: double encoding", true
			}
		}
	}
	return "", false
}

// probeSegmentEdge reports whether p[i] is outside p or a path separator.
func probeSegmentEdge(p string, i int) bool {
	return i < 0 || i >= len(p) || p[i] == '/' || p[i] == '\\'
}

// probeSegment checks one path segment.
func probeSegment(seg string, own bool) (string, bool) {
	if seg[0] == '.' {
		if strings.EqualFold(seg, ".well-known") {
			return "", false
		}
		if sig, ok := probeLookup(probeDotfiles, seg); ok {
			return sig, true
		}
		if len(seg) >= 4 && strings.EqualFold(seg[:4], ".env") {
			return "probe: .env", true
		}
		return "probe: dotfile", true
	}
	if scanHasAt(seg, 0, "%2e") {
		return "probe: encoded dotfile", true
	}
	if !own {
		if sig, ok := probeLookup(probeNames, seg); ok {
			return sig, true
		}
	}
	dot := strings.LastIndexByte(seg, '.')
	if dot <= 0 {
		return "", false
	}
	ext := seg[dot+1:]
	if sig, ok := probeLookup(probeScriptExts, ext); ok {
		return sig, true
	}
	if !own {
		if sig, ok := probeLookup(probeFileExts, ext); ok {
			return sig, true
		}
	}
	return "", false
}

// probeLookup looks s up in a map keyed by lower-case names, folding ASCII
// case into a stack buffer. Converting the buffer inside the index
// expression does not allocate.
func probeLookup[V any](m map[string]V, s string) (V, bool) {
	var buf [24]byte
	if len(s) > len(buf) {
		var zero V
		return zero, false
	}
	for i := 0; i < len(s); i++ {
		buf[i] = scanLower(s[i])
	}
	v, ok := m[string(buf[:len(s)])]
	return v, ok
}

// The maps are keyed by lower-case names and read through probeLookup.
var (
	// probeOwnRoots are safedesk's first path segments (DESIGN.md, "The
	// external contract"), under which only dotfiles, script extensions and
	// traversal count.
	probeOwnRoots = map[string]bool{
		"kb": true, "static": true, "admin": true, "api": true, "tickets": true,
		"chat": true, "me": true, "verify": true, "privacy": true, "security": true,
		"healthz": true, "readyz": true,
	}

	probeDotfiles = map[string]string{
		".git": "probe: .git", ".svn": "probe: .svn", ".hg": "probe: .hg", ".bzr": "probe: .bzr",
		".aws": "probe: .aws credentials", ".ssh": "probe: .ssh", ".docker": "probe: .docker",
		".htaccess": "probe: .htaccess", ".htpasswd": "probe: .htpasswd",
		".ds_store": "probe: .ds_store", ".vscode": "probe: editor config", ".idea": "probe: editor config",
		".npmrc": "probe: .npmrc", ".bash_history": "probe: shell history",
	}

	probeNames = map[string]string{
		"wp-admin": "probe: wordpress", "wp-content": "probe: wordpress", "wp-includes": "probe: wordpress",
		"wordpress": "probe: wordpress", "wp": "probe: wordpress",
		"phpmyadmin": "probe: phpmyadmin", "pma": "probe: phpmyadmin", "myadmin": "probe: phpmyadmin",
		"phpunit": "probe: phpunit", "vendor": "probe: vendor directory",
		"cgi-bin": "probe: cgi-bin", "actuator": "probe: spring actuator",
		"server-status": "probe: apache status", "server-info": "probe: apache status",
		"boaform": "probe: router exploit", "hnap1": "probe: router exploit", "gponform": "probe: router exploit",
		"manager": "probe: tomcat manager", "jmx-console": "probe: jboss console", "web-console": "probe: jboss console",
		"solr": "probe: solr", "telescope": "probe: laravel debug", "_ignition": "probe: laravel debug",
		"druid": "probe: druid console", "jenkins": "probe: jenkins", "geoserver": "probe: geoserver",
		"owa": "probe: exchange", "ecp": "probe: exchange", "autodiscover": "probe: exchange",
		"administrator": "probe: joomla", "debug": "probe: debug endpoint",
		"config.json": "probe: config file", "config.yml": "probe: config file", "config.yaml": "probe: config file",
		"docker-compose.yml": "probe: config file", "web.config": "probe: config file",
		"sftp-config.json": "probe: config file", "credentials": "probe: credentials",
		"id_rsa": "probe: private key", "id_ecdsa": "probe: private key", "id_ed25519": "probe: private key",
		"passwd": "probe: passwd", "shadow": "probe: passwd", "wallet.dat": "probe: wallet",
	}

	probeScriptExts = map[string]string{
		"php": "probe: php", "php3": "probe: php", "php4": "probe: php", "php5": "probe: php",
		"php7": "probe: php", "phtml": "probe: php", "phar": "probe: php", "phps": "probe: php",
		"asp": "probe: asp", "aspx": "probe: asp", "ashx": "probe: asp", "asmx": "probe: asp",
		"jsp": "probe: jsp", "jspx": "probe: jsp", "do": "probe: jsp", "action": "probe: jsp",
		"cgi": "probe: cgi", "cfm": "probe: coldfusion",
	}

	probeFileExts = map[string]string{
		"sql": "probe: database dump", "bak": "probe: backup file", "old": "probe: backup file",
		"orig": "probe: backup file", "swp": "probe: backup file", "save": "probe: backup file",
		"zip": "probe: archive", "tar": "probe: archive", "gz": "probe: archive", "tgz": "probe: archive",
		"rar": "probe: archive", "7z": "probe: archive",
		"env": "probe: .env", "ini": "probe: config file", "log": "probe: log file",
		"pem": "probe: private key", "key": "probe: private key",
	}
)
