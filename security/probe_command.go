package security

import "strings"

// scanArg says what must follow a command name for ScanPayload to call it
// an injection. A name alone is not enough: "; cat was asleep" is prose,
// "; cat /etc/passwd" is not.
type scanArg uint8

const (
	argNone   scanArg = iota + 1 // whoami, uname: the name alone
	argTight                     // id: written straight after the separator (;id, `id`, $(id))
	argPath                      // cat, head, tail: a path
	argList                      // ls: a path, or an option outside backticks
	argFetch                     // wget, curl: a URL, address or option
	argNet                       // nc, telnet: an option or address
	argShell                     // sh, bash, python: an option, or nothing after a pipe
	argNumber                    // sleep, ping: a number or option
	argChange                    // rm, chmod: an option or mode
	argAny                       // nslookup: anything
)

// scanCommands maps the commands used to prove or exploit shell injection to
// what their argument must look like.
var scanCommands = map[string]scanArg{
	"whoami": argNone, "uname": argNone, "ifconfig": argNone, "ipconfig": argNone,
	"id":  argTight,
	"cat": argPath, "head": argPath, "tail": argPath, "more": argPath, "less": argPath, "nl": argPath, "tac": argPath,
	"ls":   argList,
	"wget": argFetch, "curl": argFetch,
	"nc": argNet, "ncat": argNet, "netcat": argNet, "telnet": argNet,
	"sh": argShell, "bash": argShell, "zsh": argShell, "dash": argShell, "ksh": argShell,
	"python": argShell, "python3": argShell, "perl": argShell, "ruby": argShell, "php": argShell,
	"node": argShell, "powershell": argShell, "pwsh": argShell, "cmd": argShell, "cmd.exe": argShell,
	"sleep": argNumber, "ping": argNumber,
	"rm": argChange, "chmod": argChange, "chown": argChange,
	"nslookup": argAny,
}

// scanCommand checks a command after a shell separator at s[i]: ; | || & &&,
// or inside ` ` or $( ). Inside backticks or $( ) the closing mark must
// follow.
func scanCommand(s string, i int) (string, bool) {
	c := s[i]
	j := i + 1
	inline := c == '`'
	if c == '$' {
		inline = true
		j = i + 2
	}
	if (c == '|' || c == '&') && j < len(s) && s[j] == c {
		j++
	}
	k := j
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	e := k
	for e < len(s) && (scanWordByte(s[e]) || s[e] == '.') {
		e++
	}
	if e == k {
		return "", false
	}
	rule, ok := probeLookup(scanCommands, s[k:e])
	if !ok {
		return "", false
	}
	if inline {
		closer := byte('`')
		if c == '$' {
			closer = ')'
		}
		if strings.IndexByte(s[e:], closer) < 0 {
			return "", false
		}
	}
	a := e
	for a < len(s) && (s[a] == ' ' || s[a] == '\t') {
		a++
	}
	var arg byte // first byte of the argument, 0 if there is none
	if a > e && a < len(s) {
		arg = s[a]
	}
	alone := a == len(s) || strings.IndexByte(";|&`)\n", s[a]) >= 0
	hit := false
	switch rule {
	case argNone:
		hit = true
	case argTight:
		hit = k == j
	case argPath:
		hit = arg == '/' || arg == '~' || arg == '$' || scanHasAt(s, a, "../")
	case argList:
		hit = arg == '/' || (arg == '-' && !inline)
	case argFetch:
		hit = arg == '-' || scanDigit(arg) || scanHasAt(s, a, "http") || scanHasAt(s, a, "ftp")
	case argNet:
		hit = arg == '-' || scanDigit(arg)
	case argShell:
		hit = arg == '-' || arg == '/' || (c == '|' && alone)
	case argNumber:
		hit = arg == '-' || scanDigit(arg)
	case argChange:
		hit = arg == '-' || arg == '+' || scanDigit(arg)
	case argAny:
		hit = arg != 0
	}
	if hit {
		return "command: injection", true
	}
	return "", false
}
