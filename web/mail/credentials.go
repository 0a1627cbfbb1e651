package mail

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"

	"safedesk/security"
)

// Credentials hold the relay's password when it is not written into the
// --smtp URL, where anyone on the machine could read it in the process
// list (/proc/*/cmdline).
type Credentials struct {
	// PasswordFile is a file holding the password (--smtp-password-file),
	// read at start; a trailing newline is not part of it. Like the master
	// key, it must not be readable by group or others.
	PasswordFile string
	// Password is the password itself, from the SAFEDESK_SMTP_PASSWORD
	// environment variable; it never has a flag.
	Password string
}

// Flags adds --smtp-password-file to fs.
func (c *Credentials) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.PasswordFile, "smtp-password-file", c.PasswordFile,
		"file holding the SMTP password for the user in --smtp (mode 0600; or set SAFEDESK_SMTP_PASSWORD), so that it is not on the command line")
}

// WithPassword returns rawURL (the --smtp URL) with the password of c
// added to its user, or unchanged when c holds none. Its errors never
// repeat a password.
func (c Credentials) WithPassword(rawURL string) (string, error) {
	pass, err := c.password()
	if err != nil || pass == "" {
		return rawURL, err
	}
	if rawURL == "" {
		return "", errors.New("mail: an SMTP password is given but no --smtp relay")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", parseError("--smtp", rawURL)
	}
	if u.User == nil || u.User.Username() == "" {
		return "", errors.New("mail: --smtp names no user for the password: write smtp://user@host:587")
	}
	if _, set := u.User.Password(); set {
		return "", errors.New("mail: --smtp holds a password as well: remove it from the URL, where others on this machine can read it")
	}
	u.User = url.UserPassword(u.User.Username(), pass)
	return u.String(), nil
}

// password reads the password from the file or the environment; "" when
// neither is set.
func (c Credentials) password() (string, error) {
	switch {
	case c.PasswordFile != "" && c.Password != "":
		return "", errors.New("mail: give the SMTP password one way: --smtp-password-file or SAFEDESK_SMTP_PASSWORD")
	case c.PasswordFile == "":
		return c.Password, nil
	}
	return readPasswordFile("--smtp-password-file", c.PasswordFile, "SMTP")
}

// readPasswordFile reads the password of what ("SMTP") from path, given
// by flag: the file must not be readable by group or others, and a
// trailing newline is not part of the password.
func readPasswordFile(flag, path, what string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("mail: %s: %w", flag, err)
	}
	if perm := fi.Mode().Perm(); !security.PrivateFile(path, perm) {
		return "", fmt.Errorf("mail: %s has mode %04o: others may read the %s password; run: chmod 600 %s", path, perm, what, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("mail: %s: %w", flag, err)
	}
	pass := strings.TrimRight(string(b), "\r\n")
	if pass == "" {
		return "", fmt.Errorf("mail: %s is empty: it should hold the %s password", path, what)
	}
	return pass, nil
}
