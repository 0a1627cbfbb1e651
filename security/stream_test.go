package security

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"testing"
)

// sealFile seals data as file id under raw and returns its chunks in order.
func sealFile(t *testing.T, raw []byte, id int64, data []byte, patch func(*ChunkWriter)) [][]byte {
	t.Helper()
	k, err := NewStreamKey(raw, id)
	if err != nil {
		t.Fatal(err)
	}
	chunks := map[int64][]byte{}
	w := NewChunkWriter(k, func(idx int64, sealed []byte) error {
		if _, dup := chunks[idx]; dup {
			t.Fatalf("chunk %d emitted twice", idx)
		}
		chunks[idx] = append([]byte(nil), sealed...)
		return nil
	})
	// Odd write sizes cross chunk boundaries.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 7777)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if patch != nil {
		patch(w)
	}
	n, size, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(data)) || n != int64(len(chunks)) {
		t.Fatalf("Close: %d chunks, %d bytes; emitted %d chunks of %d bytes", n, size, len(chunks), len(data))
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = chunks[int64(i)]
	}
	return out
}

// openFile reads a sealed file back with Read, and again with WriteTo (as
// io.Copy does); both must agree.
func openFile(raw []byte, id int64, chunks [][]byte) ([]byte, error) {
	k, err := NewStreamKey(raw, id)
	if err != nil {
		return nil, err
	}
	fetch := func(idx int64, dst []byte) ([]byte, error) { return append(dst, chunks[idx]...), nil }
	read, rerr := io.ReadAll(NewChunkReader(k, int64(len(chunks)), fetch))
	var copied bytes.Buffer
	_, cerr := NewChunkReader(k, int64(len(chunks)), fetch).WriteTo(&copied)
	if (rerr == nil) != (cerr == nil) || rerr == nil && !bytes.Equal(read, copied.Bytes()) {
		return nil, fmt.Errorf("Read gives %d bytes, %v; WriteTo %d bytes, %v", len(read), rerr, copied.Len(), cerr)
	}
	return read, errors.Join(rerr, cerr)
}

func TestStreamRoundTrip(t *testing.T) {
	raw := NewDataKey()
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 12345} {
		data := make([]byte, size)
		rand.Read(data)
		chunks := sealFile(t, raw, 7, data, nil)
		got, err := openFile(raw, 7, chunks)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("size %d: read back %d bytes, err %v", size, len(got), err)
		}
		// A plaintext of a few random bytes turns up in any ciphertext by
		// chance (one byte in 17 about one run in 15); from 16 bytes on, a
		// match is the plaintext itself.
		if size < 16 {
			continue
		}
		for i, c := range chunks {
			if bytes.Contains(c, data[:min(len(data), 32)]) {
				t.Errorf("size %d: chunk %d holds plaintext", size, i)
			}
		}
	}
}

func TestStreamPatchHead(t *testing.T) {
	raw := NewDataKey()
	data := bytes.Repeat([]byte("abcdefgh"), ChunkSize/4) // two chunks
	chunks := sealFile(t, raw, 1, data, func(w *ChunkWriter) {
		if err := w.PatchHead(4, []byte("XY")); err != nil {
			t.Fatal(err)
		}
		if err := w.PatchHead(ChunkSize-1, []byte("XY")); err == nil {
			t.Error("a patch across the first chunk's end was accepted")
		}
	})
	got, err := openFile(raw, 1, chunks)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[:8]) != "abcdXYgh" || !bytes.Equal(got[8:], data[8:]) {
		t.Errorf("patched file starts %q", got[:8])
	}
}

// TestStreamTamper: every way of changing a sealed file fails to open.
func TestStreamTamper(t *testing.T) {
	raw, other := NewDataKey(), NewDataKey()
	data := make([]byte, 3*ChunkSize+100)
	rand.Read(data)
	chunks := sealFile(t, raw, 5, data, nil)
	otherFile := sealFile(t, raw, 6, data, nil) // same key, other file id
	otherKey := sealFile(t, other, 5, data, nil)

	flipped := append([]byte(nil), chunks[1]...)
	flipped[10] ^= 1
	cases := map[string]struct {
		id     int64
		raw    []byte
		chunks [][]byte
	}{
		"a flipped bit":             {5, raw, [][]byte{chunks[0], flipped, chunks[2], chunks[3]}},
		"two chunks swapped":        {5, raw, [][]byte{chunks[0], chunks[2], chunks[1], chunks[3]}},
		"the last chunk dropped":    {5, raw, chunks[:3]},
		"the first chunk dropped":   {5, raw, chunks[1:]},
		"a chunk repeated":          {5, raw, [][]byte{chunks[0], chunks[1], chunks[1], chunks[2], chunks[3]}},
		"a chunk of another file":   {5, raw, [][]byte{chunks[0], otherFile[1], chunks[2], chunks[3]}},
		"another file's number":     {6, raw, chunks},
		"a chunk under another key": {5, raw, [][]byte{chunks[0], chunks[1], otherKey[2], chunks[3]}},
		"the wrong key":             {5, other, chunks},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := openFile(c.raw, c.id, c.chunks); !errors.Is(err, ErrOpen) {
				t.Errorf("opened with err %v, want ErrOpen", err)
			}
		})
	}
}
