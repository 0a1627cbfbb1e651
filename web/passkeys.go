package web

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"safedesk/store"
	"safedesk/web/httpx"
)

// newWebAuthn configures the relying party from the base URL. An IP address
// cannot be a relying-party id (WebAuthn scopes credentials to a domain), so
// it is refused with advice; use localhost when testing on one machine.
func newWebAuthn(cfg Config) (*webauthn.WebAuthn, error) {
	host := cfg.BaseURL.Hostname()
	if net.ParseIP(host) != nil {
		return nil, fmt.Errorf("web: base URL host %s is an IP address; passkeys need a domain name (use http://localhost:PORT on one machine)", host)
	}
	origin := cfg.BaseURL.Scheme + "://" + cfg.BaseURL.Host
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          host,
		RPDisplayName: cfg.Product,
		RPOrigins:     []string{origin},
	})
	if err != nil {
		return nil, fmt.Errorf("web: webauthn: %w", err)
	}
	return wa, nil
}

// waUser adapts a staff member (or someone enrolling) to go-webauthn.
type waUser struct {
	handle   []byte
	name     string // the address, shown by authenticators to pick an account
	display  string
	creds    []webauthn.Credential
	passkeys []store.Passkey // parallel to creds
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.display }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// loadWAUser builds the WebAuthn user of a staff member with their passkeys.
func (s *Server) loadWAUser(r *http.Request, st store.Staff) (*waUser, error) {
	pks, err := s.db.ListPasskeys(r.Context(), st.ID)
	if err != nil {
		return nil, err
	}
	u := &waUser{handle: st.UserHandle, name: st.Email, display: st.Name, passkeys: pks}
	for _, pk := range pks {
		var c webauthn.Credential
		if err := json.Unmarshal(pk.Credential, &c); err != nil {
			return nil, fmt.Errorf("web: passkey %d: %w", pk.ID, err)
		}
		u.creds = append(u.creds, c)
	}
	return u, nil
}

// passkeyFor finds the stored passkey of a credential id.
func (u *waUser) passkeyFor(id []byte) (store.Passkey, bool) {
	for i, c := range u.creds {
		if string(c.ID) == string(id) {
			return u.passkeys[i], true
		}
	}
	return store.Passkey{}, false
}

func newUserHandle() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// ceremony is what a WebAuthn ceremony remembers between begin and finish:
// the library's session data and, for enrolment, who is enrolling.
type ceremony struct {
	Session     webauthn.SessionData `json:"session"`
	StaffID     int64                `json:"staff_id,omitempty"`
	Token       string               `json:"token,omitempty"`
	Kind        string               `json:"kind,omitempty"`
	Name        string               `json:"name,omitempty"`
	Email       string               `json:"email,omitempty"`
	Handle      []byte               `json:"handle,omitempty"`
	PasskeyName string               `json:"passkey_name,omitempty"`
	Next        string               `json:"next,omitempty"`
}

const sessCeremony = "ceremony_"

// beginCeremony saves c under kind and remembers its id in the staff session.
func (s *Server) beginCeremony(r *http.Request, kind string, c ceremony) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	id, err := s.db.SaveCeremony(r.Context(), kind, b)
	if err != nil {
		return err
	}
	s.staff.Put(r.Context(), sessCeremony+kind, id)
	return nil
}

// errCeremonyGone is a finish without a live ceremony: expired, never begun
// or already finished once (a replay).
var errCeremonyGone = errors.New("web: ceremony expired or already used")

// takeCeremony returns the ceremony of kind and deletes it: a second finish
// with the same data finds nothing.
func (s *Server) takeCeremony(r *http.Request, kind string) (ceremony, error) {
	id, _ := s.staff.Get(r.Context(), sessCeremony+kind).([]byte)
	s.staff.Remove(r.Context(), sessCeremony+kind)
	if id == nil {
		return ceremony{}, errCeremonyGone
	}
	b, err := s.db.TakeCeremony(r.Context(), id, kind)
	if errors.Is(err, store.ErrNotFound) {
		s.recordSecurityEvent(r, "webauthn.ceremony_reused", store.SeverityWarning, map[string]any{"ceremony": kind})
		return ceremony{}, errCeremonyGone
	}
	if err != nil {
		return ceremony{}, err
	}
	var c ceremony
	if err := json.Unmarshal(b, &c); err != nil {
		return ceremony{}, err
	}
	return c, nil
}

// registrationOptions asks for a discoverable credential (resident key
// required) with user verification required, excluding ones already held.
func registrationOptions(existing []webauthn.Credential) []webauthn.RegistrationOption {
	yes := true
	excl := make([]protocol.CredentialDescriptor, 0, len(existing))
	for _, c := range existing {
		excl = append(excl, c.Descriptor())
	}
	return []webauthn.RegistrationOption{
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: &yes,
			UserVerification:   protocol.VerificationRequired,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExclusions(excl),
	}
}

// newPasskey turns a created credential into what the store keeps.
func newPasskey(c *webauthn.Credential, name string) (store.NewPasskey, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return store.NewPasskey{}, err
	}
	return store.NewPasskey{
		CredentialID: c.ID, Name: name, Credential: b, SignCount: c.Authenticator.SignCount,
		BackupEligible: c.Flags.BackupEligible, BackupState: c.Flags.BackupState,
	}, nil
}

// jsonFail answers a passkey script call with a message for the person.
func jsonFail(w http.ResponseWriter, status int, msg string) {
	httpx.WriteJSON(w, status, map[string]string{"error": msg})
}

// deviceName summarises a User-Agent as "Browser on OS"; the full string is
// not kept.
func deviceName(ua string) string {
	browser := "Browser"
	switch {
	case strings.Contains(ua, "Edg/"):
		browser = "Edge"
	case strings.Contains(ua, "Firefox/"):
		browser = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "Chromium/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	}
	os := "unknown system"
	switch {
	case strings.Contains(ua, "Android"):
		os = "Android"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
		os = "iOS"
	case strings.Contains(ua, "Windows"):
		os = "Windows"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		os = "macOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	return browser + " on " + os
}
