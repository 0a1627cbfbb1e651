package web

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
)

// Customer session keys.
const (
	sessCustomerID = "customer_id"
	sessMasked     = "customer_masked"
	sessPending    = "pending_email" // address waiting for its code
)

func (s *Server) newSessionManager(name string, idle, lifetime time.Duration) *scs.SessionManager {
	m := scs.New()
	m.Store = s.db.Sessions()
	m.Codec = sessionCodec{}
	if idle > 0 {
		m.IdleTimeout = idle
	}
	m.Lifetime = lifetime
	m.Cookie.Name = name
	m.Cookie.HttpOnly = true
	m.Cookie.Path = "/"
	m.Cookie.SameSite = http.SameSiteLaxMode
	m.Cookie.Persist = false
	if s.secure {
		m.Cookie.Secure = true
		m.Cookie.Name = "__Host-" + name
	}
	m.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) { s.serveError(w, r, err) }
	return m
}

// withCustomer loads the customer session around h.
func (s *Server) withCustomer(h http.Handler) http.Handler {
	return s.customer.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info(r).session = true
		s.noteCustomerClient(r) // a block of the client ends the session (web/abuse_respond.go)
		// A remembered device opens a session for its customer (web/devices.go).
		if err := s.deviceSignIn(w, r); err != nil {
			s.serveError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// customerID is the verified customer of this session, or 0.
func (s *Server) customerID(r *http.Request) int64 {
	if !info(r).session {
		return 0
	}
	v, _ := s.customer.Get(r.Context(), sessCustomerID).(int64)
	return v
}

// requireCustomer sends a visitor who has not verified an address to
// /verify, and back here afterwards.
func (s *Server) requireCustomer(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.customerID(r) == 0 {
			s.toVerify(w, r)
			return
		}
		next(w, r)
	}
}

// sessionCodec encodes session values compactly, far cheaper than scs's
// default gob codec. It knows the few types safedesk stores: string, int64,
// bool, time.Time and []byte.
//
//	deadline (8, Unix ns) | count (uvarint) | { key | type (1) | value }…
//
// where strings and bytes are uvarint-length-prefixed.
type sessionCodec struct{}

const (
	tString byte = iota + 1
	tInt64
	tBool
	tTime
	tBytes
	tFloat
)

// Encode implements scs.Codec.
func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	b := make([]byte, 0, 64)
	b = binary.BigEndian.AppendUint64(b, uint64(deadline.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(values)))
	for k, v := range values {
		b = appendStr(b, k)
		switch v := v.(type) {
		case string:
			b = appendStr(append(b, tString), v)
		case int64:
			b = binary.AppendVarint(append(b, tInt64), v)
		case int:
			b = binary.AppendVarint(append(b, tInt64), int64(v))
		case bool:
			x := byte(0)
			if v {
				x = 1
			}
			b = append(b, tBool, x)
		case time.Time:
			b = binary.AppendVarint(append(b, tTime), v.UnixNano())
		case []byte:
			b = appendStr(append(b, tBytes), string(v))
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, tFloat), math.Float64bits(v))
		default:
			return nil, fmt.Errorf("web: session value %q has unsupported type %T", k, v)
		}
	}
	return b, nil
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errCodec = errors.New("web: corrupt session data")

// Decode implements scs.Codec.
func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if len(b) < 9 {
		return time.Time{}, nil, errCodec
	}
	deadline := time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
	b = b[8:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 256 {
		return time.Time{}, nil, errCodec
	}
	b = b[k:]
	values := make(map[string]any, n)
	for range n {
		key, rest, ok := readStr(b)
		if !ok || len(rest) == 0 {
			return time.Time{}, nil, errCodec
		}
		typ, rest := rest[0], rest[1:]
		switch typ {
		case tString, tBytes:
			v, r2, ok := readStr(rest)
			if !ok {
				return time.Time{}, nil, errCodec
			}
			if typ == tString {
				values[key] = v
			} else {
				values[key] = []byte(v)
			}
			rest = r2
		case tInt64, tTime:
			v, k := binary.Varint(rest)
			if k <= 0 {
				return time.Time{}, nil, errCodec
			}
			if typ == tInt64 {
				values[key] = v
			} else {
				values[key] = time.Unix(0, v).UTC()
			}
			rest = rest[k:]
		case tBool:
			if len(rest) < 1 {
				return time.Time{}, nil, errCodec
			}
			values[key] = rest[0] == 1
			rest = rest[1:]
		case tFloat:
			if len(rest) < 8 {
				return time.Time{}, nil, errCodec
			}
			values[key] = math.Float64frombits(binary.BigEndian.Uint64(rest))
			rest = rest[8:]
		default:
			return time.Time{}, nil, errCodec
		}
		b = rest
	}
	return deadline, values, nil
}

func readStr(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

// renewSession gives the session a new token at a privilege change, so a
// token planted before sign-in is worthless after it.
func (s *Server) renewSession(ctx context.Context, m *scs.SessionManager) error {
	if err := m.RenewToken(ctx); err != nil {
		return fmt.Errorf("web: renew session: %w", err)
	}
	return nil
}
