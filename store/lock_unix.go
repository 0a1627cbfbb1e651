//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockDir takes an exclusive lock on the data folder dir (dir/.safedesk.lock):
// the server holds it while it runs, and restore and key rotation take it,
// so that neither ever runs beside a live server. The lock ends with
// release, or with the process. With create, a missing folder is made
// first.
func LockDir(dir string, create bool) (release func(), err error) {
	if err := ensureDir(dir, create); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("a safedesk server or command is using %s: stop it first", dir)
		}
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	return func() { f.Close() }, nil
}
