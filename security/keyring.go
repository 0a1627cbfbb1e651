// Package security holds safedesk's cryptography and defences: the keyring and
// field encryption, the blind index, PII detection and redaction, rate limits,
// abuse detection, roles and permissions, audit hashing, the SSRF-safe client
// and webhook signing. It imports nothing else of safedesk.
package security

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the size in bytes of the master key and of every data key.
const KeySize = 32

// ErrKeyPermissions reports a key file that group or others can read.
var ErrKeyPermissions = errors.New("security: key file is readable by group or others")

// Keyring holds the master key. It wraps and unwraps the data-encryption keys
// that the database stores; it never seals fields itself.
type Keyring struct {
	aead        cipher.AEAD
	fingerprint [8]byte
}

// NewKeyring returns a keyring for a 32-byte master key.
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("security: master key must be %d bytes, got %d", KeySize, len(master))
	}
	aead, err := newGCM(master)
	if err != nil {
		return nil, err
	}
	k := &Keyring{aead: aead}
	m := hmac.New(sha256.New, master)
	m.Write([]byte("safedesk master key fingerprint v1"))
	copy(k.fingerprint[:], m.Sum(nil))
	return k, nil
}

// Fingerprint identifies the master key without revealing it, so that a
// wrapped key can say which master key wrapped it.
func (k *Keyring) Fingerprint() [8]byte { return k.fingerprint }

// LoadMasterKey reads the master key file at path. When the file does not
// exist and create is set, it writes a new random key with mode 0600. A key
// file readable by group or others is refused: the key protects every
// personal field in the database.
func LoadMasterKey(path string, create bool) (*Keyring, bool, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		key := make([]byte, KeySize)
		rand.Read(key)
		if err := WriteFileAtomic(path, key, 0o600); err != nil {
			return nil, false, err
		}
		k, err := NewKeyring(key)
		return k, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("security: master key: %w", err)
	}
	if !PrivateFile(path, info.Mode().Perm()) {
		return nil, false, fmt.Errorf("%w: %s has mode %04o; run: chmod 600 %s", ErrKeyPermissions, path, info.Mode().Perm(), path)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("security: master key: %w", err)
	}
	if len(key) != KeySize {
		return nil, false, fmt.Errorf("security: master key %s must hold %d bytes, it holds %d", path, KeySize, len(key))
	}
	k, err := NewKeyring(key)
	return k, false, err
}

// WriteFileAtomic writes data to path with mode perm, so that a crash
// leaves either the old file or the whole new one: a temporary file in the
// same folder, synced, renamed over path, then the folder synced. It is the
// one writer of key and identity files.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeAtomic(path, data, perm, os.Rename)
}

// writeAtomic writes data to a synced temporary file beside path and puts
// it in place with place: os.Rename replaces an existing file, os.Link
// refuses one with an error wrapping fs.ErrExist.
func writeAtomic(path string, data []byte, perm fs.FileMode, place func(tmp, path string) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".safedesk-write-*")
	if err != nil {
		return fmt.Errorf("security: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	// Chmod rather than trust the umask: the modes are part of the contract.
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("security: write %s: %w", path, err)
	}
	if err := place(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("security: write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir flushes a folder's entries (new names, renames) to stable
// storage.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("security: sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("security: sync folder %s: %w", dir, err)
	}
	return nil
}

// NewDataKey returns 32 fresh random bytes for a data-encryption key.
func NewDataKey() []byte {
	b := make([]byte, KeySize)
	rand.Read(b)
	return b
}

// wrapAD binds a wrapped key to its id in the keys table, so that wrapped
// keys cannot be swapped between rows.
func wrapAD(id int64) []byte {
	ad := make([]byte, 0, 32)
	ad = append(ad, "safedesk dek v1 "...)
	return binary.BigEndian.AppendUint64(ad, uint64(id))
}

// WrapKey encrypts the data key raw, whose row in the keys table is id, under
// the master key.
func (k *Keyring) WrapKey(id int64, raw []byte) ([]byte, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("security: data key must be %d bytes", KeySize)
	}
	out := make([]byte, 0, len(k.fingerprint)+nonceSize+KeySize+k.aead.Overhead())
	out = append(out, k.fingerprint[:]...)
	nonce := make([]byte, nonceSize)
	rand.Read(nonce)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, raw, wrapAD(id)), nil
}

// ErrWrongMasterKey reports a wrapped key made under another master key.
var ErrWrongMasterKey = errors.New("security: key was wrapped by another master key")

// UnwrapKey opens a wrapped data key and returns it ready to seal fields.
func (k *Keyring) UnwrapKey(id int64, wrapped []byte) (*DataKey, error) {
	raw, err := k.UnwrapRaw(id, wrapped)
	if err != nil {
		return nil, err
	}
	return NewDataKey32(id, raw)
}

// UnwrapRaw opens a wrapped data key and returns its raw bytes, for
// re-wrapping under a new master key.
func (k *Keyring) UnwrapRaw(id int64, wrapped []byte) ([]byte, error) {
	if len(wrapped) < len(k.fingerprint)+nonceSize+k.aead.Overhead() {
		return nil, errors.New("security: wrapped key is truncated")
	}
	if !hmac.Equal(wrapped[:len(k.fingerprint)], k.fingerprint[:]) {
		return nil, ErrWrongMasterKey
	}
	body := wrapped[len(k.fingerprint):]
	raw, err := k.aead.Open(nil, body[:nonceSize], body[nonceSize:], wrapAD(id))
	if err != nil {
		return nil, fmt.Errorf("security: wrapped key %d does not open: %w", id, ErrOpen)
	}
	return raw, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("security: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("security: %w", err)
	}
	return aead, nil
}
