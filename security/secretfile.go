package security

import (
	"io/fs"
	"os"
	"path/filepath"
)

// PrivateFile reports whether a secret file at path with mode perm is
// private to this process's user: no permission for group or others, or
// it is one of the credentials that systemd passed to this service
// (LoadCredential=, in $CREDENTIALS_DIRECTORY), which systemd makes
// readable by the service alone in a folder nobody else may enter. There
// the mode may show group bits: systemd grants the service's user read
// access by an ACL entry, and an ACL's mask appears as the group bits.
func PrivateFile(path string, perm fs.FileMode) bool {
	if perm&0o077 == 0 {
		return true
	}
	creds := os.Getenv("CREDENTIALS_DIRECTORY")
	return creds != "" && filepath.IsAbs(path) && filepath.Dir(filepath.Clean(path)) == filepath.Clean(creds) && perm&0o037 == 0
}
