package security

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Files (attachments) are sealed in chunks with the STREAM construction
// (Hoang, Reyhanitabar, Rogaway, Vizár, "Online authenticated-encryption
// and its nonce-reuse misuse-resistance", 2015): every file has its own
// random key; chunk i is sealed with AES-256-GCM under it, with a nonce and
// associated data that name the file, i and whether the chunk is the last.
// So a chunk opens only in its own file, at its own place, and a file cut
// short (its last chunk dropped), reordered or spliced with another fails
// to open. Nonces never repeat because each (file key, index, last) triple
// is sealed once.

// ChunkSize is the plaintext size of every chunk of a file but the last.
const ChunkSize = 64 << 10

// ChunkOverhead is what sealing adds to each chunk (the GCM tag).
const ChunkOverhead = 16

// StreamKey seals and opens the chunks of one file.
type StreamKey struct {
	aead cipher.AEAD
	file int64
}

// NewStreamKey returns the chunk key of file number file, from its 32-byte
// file key.
func NewStreamKey(raw []byte, file int64) (*StreamKey, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("security: file key must be %d bytes", KeySize)
	}
	aead, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	return &StreamKey{aead: aead, file: file}, nil
}

// chunkNonce is the chunk's index (8 bytes), three zero bytes and the
// last-chunk flag, as STREAM lays it out.
func chunkNonce(idx int64, last bool) [nonceSize]byte {
	var n [nonceSize]byte
	binary.BigEndian.PutUint64(n[:8], uint64(idx))
	if last {
		n[nonceSize-1] = 1
	}
	return n
}

// chunkAD binds a chunk to its file, its index and the last-chunk flag.
func (k *StreamKey) chunkAD(buf *[48]byte, idx int64, last bool) []byte {
	ad := append(buf[:0], "safedesk file chunk v1"...)
	ad = binary.BigEndian.AppendUint64(ad, uint64(k.file))
	ad = binary.BigEndian.AppendUint64(ad, uint64(idx))
	if last {
		return append(ad, 1)
	}
	return append(ad, 0)
}

// SealChunk appends the sealed plaintext of chunk idx to dst.
func (k *StreamKey) SealChunk(dst, plaintext []byte, idx int64, last bool) []byte {
	n := chunkNonce(idx, last)
	var buf [48]byte
	return k.aead.Seal(dst, n[:], plaintext, k.chunkAD(&buf, idx, last))
}

// OpenChunk appends the plaintext of sealed chunk idx to dst. It fails with
// ErrOpen for a chunk of another file, another place, or tampered with.
func (k *StreamKey) OpenChunk(dst, sealed []byte, idx int64, last bool) ([]byte, error) {
	n := chunkNonce(idx, last)
	var buf [48]byte
	out, err := k.aead.Open(dst, n[:], sealed, k.chunkAD(&buf, idx, last))
	if err != nil {
		return nil, fmt.Errorf("%w: file %d chunk %d", ErrOpen, k.file, idx)
	}
	return out, nil
}

// ChunkWriter seals what is written to it in chunks of ChunkSize and hands
// each sealed chunk to emit; the slice is reused once emit returns, so emit
// copies what it keeps (no chunk is allocated anew). Only the last chunk knows it
// is the last, so one chunk is always held back until the next byte (or
// Close) arrives; the first chunk is held until Close too, so that a
// transform may still correct a header there (PatchHead). It holds at most
// two chunks of plaintext.
type ChunkWriter struct {
	key  *StreamKey
	emit func(idx int64, sealed []byte) error
	head []byte // chunk 0, once a later chunk has begun
	cur  []byte // the chunk being filled, number n
	seal []byte // the sealed chunk handed to emit
	n    int64
	size int64
	err  error
}

// NewChunkWriter returns a writer that seals into emit.
func NewChunkWriter(k *StreamKey, emit func(idx int64, sealed []byte) error) *ChunkWriter {
	return &ChunkWriter{key: k, emit: emit, cur: make([]byte, 0, ChunkSize), seal: make([]byte, 0, ChunkSize+ChunkOverhead)}
}

// Write seals p as part of the file.
func (w *ChunkWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		if len(w.cur) == ChunkSize {
			// More is coming, so the full chunk is not the last.
			if w.err = w.flush(false); w.err != nil {
				return written, w.err
			}
		}
		k := min(len(p), ChunkSize-len(w.cur))
		w.cur = append(w.cur, p[:k]...)
		p, written, w.size = p[k:], written+k, w.size+int64(k)
	}
	return written, nil
}

// flush passes on the full current chunk (or keeps it as the head) and
// starts the next.
func (w *ChunkWriter) flush(last bool) error {
	if w.n == 0 && !last {
		w.head, w.cur = w.cur, make([]byte, 0, ChunkSize)
		w.n++
		return nil
	}
	if err := w.sealEmit(w.n, w.cur, last); err != nil {
		return err
	}
	w.cur = w.cur[:0]
	w.n++
	return nil
}

// PatchHead overwrites b at offset off of the file, which must lie in the
// first chunk and be written already: a streaming transform that learns a
// header field only at the end (a container's length) corrects it here.
func (w *ChunkWriter) PatchHead(off int64, b []byte) error {
	head := w.head
	if w.n == 0 {
		head = w.cur
	}
	if off < 0 || off+int64(len(b)) > int64(len(head)) {
		return errors.New("security: patch outside the first chunk")
	}
	copy(head[off:], b)
	return nil
}

// Close seals the last chunk and then the first, and returns how many
// chunks and plaintext bytes the file has. An empty file is one empty
// chunk.
func (w *ChunkWriter) Close() (chunks, size int64, err error) {
	if w.err != nil {
		return 0, 0, w.err
	}
	w.err = errors.New("security: chunk writer closed")
	if w.n == 0 {
		if err := w.sealEmit(0, w.cur, true); err != nil {
			return 0, 0, err
		}
		return 1, w.size, nil
	}
	n := w.n
	if err := w.sealEmit(n, w.cur, true); err != nil {
		return 0, 0, err
	}
	if err := w.sealEmit(0, w.head, false); err != nil {
		return 0, 0, err
	}
	return n + 1, w.size, nil
}

func (w *ChunkWriter) sealEmit(idx int64, plaintext []byte, last bool) error {
	w.seal = w.key.SealChunk(w.seal[:0], plaintext, idx, last)
	return w.emit(idx, w.seal)
}

// ChunkReader reads a sealed file back, fetching and opening one chunk at a
// time into buffers it reuses, so that memory stays at one chunk whatever
// the file's size.
type ChunkReader struct {
	key    *StreamKey
	chunks int64
	fetch  func(idx int64, dst []byte) ([]byte, error)
	idx    int64
	sealed []byte
	buf    []byte
	off    int
}

// NewChunkReader returns a reader of a file of chunks chunks; fetch returns
// the sealed chunk idx, appended to dst or in a buffer of its own that it
// keeps valid until its next call.
func NewChunkReader(k *StreamKey, chunks int64, fetch func(idx int64, dst []byte) ([]byte, error)) *ChunkReader {
	return &ChunkReader{key: k, chunks: chunks, fetch: fetch}
}

// Read reads the plaintext; a chunk that does not open is an error
// wrapping ErrOpen.
func (r *ChunkReader) Read(p []byte) (int, error) {
	for r.off == len(r.buf) {
		if r.idx >= r.chunks {
			return 0, io.EOF
		}
		var err error
		if r.sealed, err = r.fetch(r.idx, r.sealed[:0]); err != nil {
			return 0, err
		}
		r.buf, err = r.key.OpenChunk(r.buf[:0], r.sealed, r.idx, r.idx == r.chunks-1)
		if err != nil {
			return 0, err
		}
		r.idx++
		r.off = 0
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// WriteTo writes the rest of the plaintext to w a chunk at a time, without
// copying it through another buffer (io.Copy uses it).
func (r *ChunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.off < len(r.buf) {
			n, err := w.Write(r.buf[r.off:])
			r.off += n
			total += int64(n)
			if err != nil {
				return total, err
			}
		}
		if r.idx >= r.chunks {
			return total, nil
		}
		var err error
		if r.sealed, err = r.fetch(r.idx, r.sealed[:0]); err != nil {
			return total, err
		}
		if r.buf, err = r.key.OpenChunk(r.buf[:0], r.sealed, r.idx, r.idx == r.chunks-1); err != nil {
			return total, err
		}
		r.idx++
		r.off = 0
	}
}
