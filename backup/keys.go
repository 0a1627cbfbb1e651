package backup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"safedesk/security"
)

// MinPassphraseLen is the shortest passphrase PassphraseRecipient accepts.
const MinPassphraseLen = 12

// EnsureIdentity makes sure dataDir has a backup recipients file. On first
// use it generates an age X25519 identity, writes it to backup-identity.txt
// (mode 0600, to be moved off the server) and its public recipient to
// backup-recipients.txt (mode 0644), and reports created. An existing
// recipients file is never touched, so recipients added by hand stay. If only
// the identity file exists, the recipients file is derived from it and
// created is false.
func EnsureIdentity(dataDir string) (created bool, err error) {
	recPath := filepath.Join(dataDir, RecipientsName)
	idPath := filepath.Join(dataDir, IdentityName)
	if _, err := os.Lstat(recPath); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("backup: %w", err)
	}

	var recipients []string
	ids, err := LoadIdentities(idPath)
	switch {
	case err == nil:
		for _, id := range ids {
			x, ok := id.(*age.X25519Identity)
			if !ok {
				return false, fmt.Errorf("backup: %s holds a non-X25519 identity; write %s by hand", IdentityName, RecipientsName)
			}
			recipients = append(recipients, x.Recipient().String())
		}
	case errors.Is(err, os.ErrNotExist):
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return false, fmt.Errorf("backup: generate identity: %w", err)
		}
		recipients = []string{id.Recipient().String()}
		var b bytes.Buffer
		fmt.Fprintf(&b, "# safedesk backup identity, created %s\n", time.Now().UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "# public key: %s\n", recipients[0])
		fmt.Fprintf(&b, "# Move this file off the server: whoever holds it can read every backup.\n")
		fmt.Fprintf(&b, "%s\n", id)
		if err := security.WriteFileAtomic(idPath, b.Bytes(), 0o600); err != nil {
			return false, err
		}
		created = true
	default:
		return false, err
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "# safedesk backups are encrypted to every recipient below, one per line.\n")
	fmt.Fprintf(&b, "# Add more (age1...) by hand; the server never rewrites this file.\n")
	for _, r := range recipients {
		fmt.Fprintf(&b, "%s\n", r)
	}
	if err := security.WriteFileAtomic(recPath, b.Bytes(), 0o644); err != nil {
		return created, err
	}
	return created, nil
}

// LoadRecipients reads age X25519 recipients (age1...), one a line, from
// path. Blank lines and lines starting with # are ignored. Other recipient
// types are refused so that every backup stays readable with any age tool.
func LoadRecipients(path string) ([]age.Recipient, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backup: recipients: %w", err)
	}
	defer f.Close()
	name := filepath.Base(path)
	var recs []age.Recipient
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// Never echo the line: it may be a secret key pasted by mistake.
		r, err := age.ParseX25519Recipient(line)
		if err != nil {
			return nil, fmt.Errorf("backup: %s line %d: not an age X25519 recipient (age1...)", name, n)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("backup: %s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("backup: %s: no recipients", name)
	}
	return recs, nil
}

// LoadIdentities reads an age identity file (as written by EnsureIdentity or
// age-keygen) for Verify and Restore. A missing file returns an error that
// wraps os.ErrNotExist.
func LoadIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backup: identity: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("backup: %s: %w", filepath.Base(path), err)
	}
	return ids, nil
}

// PassphraseRecipient returns a recipient that encrypts to a passphrase
// (age scrypt). It must be the only recipient of a backup, and the
// passphrase must be at least MinPassphraseLen bytes. The result decrypts
// with PassphraseIdentity or with `age -d` typing the passphrase.
func PassphraseRecipient(passphrase string) (*age.ScryptRecipient, error) {
	if len(passphrase) < MinPassphraseLen {
		return nil, fmt.Errorf("backup: passphrase must be at least %d characters", MinPassphraseLen)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return r, nil
}

// PassphraseIdentity returns an identity that decrypts backups made with
// PassphraseRecipient.
func PassphraseIdentity(passphrase string) (*age.ScryptIdentity, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return id, nil
}
