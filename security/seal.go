package security

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sealed field layout:
//
//	version (1 byte, 0x01) | key id (8 bytes, big endian) | nonce (12) | AES-256-GCM ciphertext and tag
//
// The associated data is the 9-byte header followed by "table.column#row", so a
// ciphertext opens only under its own key, in its own table, column and row.
const (
	sealVersion = 0x01
	headerSize  = 1 + 8
	nonceSize   = 12
)

// SealOverhead is how many bytes sealing adds to a plaintext.
const SealOverhead = headerSize + nonceSize + 16

// ErrOpen reports a ciphertext that does not open: tampered, moved to another
// row, or sealed under another key.
var ErrOpen = errors.New("security: ciphertext does not open")

// Location names the place a sealed field lives: its table, column and row.
type Location struct {
	Table  string
	Column string
	Row    int64
}

func (l Location) appendAD(b []byte) []byte {
	b = append(b, l.Table...)
	b = append(b, '.')
	b = append(b, l.Column...)
	b = append(b, '#')
	return binary.BigEndian.AppendUint64(b, uint64(l.Row))
}

// DataKey is an unwrapped data-encryption key, ready to seal and open fields.
// It is safe for concurrent use.
type DataKey struct {
	id   int64
	aead cipher.AEAD
}

// NewDataKey32 returns a DataKey for the raw 32-byte key stored as row id.
func NewDataKey32(id int64, raw []byte) (*DataKey, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("security: data key must be %d bytes", KeySize)
	}
	aead, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	return &DataKey{id: id, aead: aead}, nil
}

// ID is the key's row in the keys table.
func (d *DataKey) ID() int64 { return d.id }

// Seal encrypts plaintext for loc.
func (d *DataKey) Seal(plaintext []byte, loc Location) []byte {
	out := make([]byte, headerSize+nonceSize, headerSize+nonceSize+len(plaintext)+d.aead.Overhead())
	out[0] = sealVersion
	binary.BigEndian.PutUint64(out[1:headerSize], uint64(d.id))
	rand.Read(out[headerSize : headerSize+nonceSize])
	var adBuf [96]byte
	ad := loc.appendAD(append(adBuf[:0], out[:headerSize]...))
	return d.aead.Seal(out, out[headerSize:headerSize+nonceSize], plaintext, ad)
}

// SealString is Seal for a string.
func (d *DataKey) SealString(s string, loc Location) []byte { return d.Seal([]byte(s), loc) }

// Open decrypts a sealed field found at loc.
func (d *DataKey) Open(sealed []byte, loc Location) ([]byte, error) {
	id, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	if id != d.id {
		return nil, fmt.Errorf("%w: sealed under key %d, not %d", ErrOpen, id, d.id)
	}
	var adBuf [96]byte
	ad := loc.appendAD(append(adBuf[:0], sealed[:headerSize]...))
	pt, err := d.aead.Open(nil, sealed[headerSize:headerSize+nonceSize], sealed[headerSize+nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %s.%s row %d", ErrOpen, loc.Table, loc.Column, loc.Row)
	}
	return pt, nil
}

// OpenString is Open returning a string.
func (d *DataKey) OpenString(sealed []byte, loc Location) (string, error) {
	b, err := d.Open(sealed, loc)
	return string(b), err
}

// SealedKeyID returns the id of the key that sealed a field.
func SealedKeyID(sealed []byte) (int64, error) {
	if len(sealed) < headerSize+nonceSize+16 {
		return 0, fmt.Errorf("%w: too short", ErrOpen)
	}
	if sealed[0] != sealVersion {
		return 0, fmt.Errorf("%w: unknown version %d", ErrOpen, sealed[0])
	}
	return int64(binary.BigEndian.Uint64(sealed[1:headerSize])), nil
}

// BlindIndex computes keyed lookup values: equal inputs give equal outputs,
// but without the key nothing about the input can be learnt or tested.
type BlindIndex struct {
	key []byte
}

// NewBlindIndex returns a blind index under a 32-byte key.
func NewBlindIndex(key []byte) (*BlindIndex, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("security: blind index key must be %d bytes", KeySize)
	}
	return &BlindIndex{key: append([]byte(nil), key...)}, nil
}

// Email returns the blind index of an email address in its normal form
// (NormalizeEmail).
func (b *BlindIndex) Email(addr string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte("email\x00"))
	m.Write([]byte(NormalizeEmail(addr)))
	return m.Sum(nil)
}

// Hash returns a keyed hash of data under a domain label, for values that
// must be compared but never recovered (verification codes).
func (b *BlindIndex) Hash(domain string, data ...[]byte) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(domain))
	for _, d := range data {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(d)))
		m.Write(n[:])
		m.Write(d)
	}
	return m.Sum(nil)
}
