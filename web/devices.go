package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// Customers follow their requests without typing a code for every reply:
// "keep me signed in on this device for 30 days" at verification sets a
// device cookie apart from the session cookie (HttpOnly, SameSite=Lax,
// __Host- when secure). When the customer's session has ended, the device
// opens a new one. The token is stored hashed (store/devices.go); the
// customer lists and revokes their devices at /me/devices, staff end them
// on the customer's page, erasure ends them, and signing out forgets this
// one. Mails still carry no sign-in token.

// deviceCookie is the name of the device cookie.
func (s *Server) deviceCookie() string {
	if s.secure {
		return "__Host-safedesk_device"
	}
	return "safedesk_device"
}

// setDeviceCookie sets (or, with token "", clears) the device cookie.
func (s *Server) setDeviceCookie(w http.ResponseWriter, token string) {
	c := &http.Cookie{Name: s.deviceCookie(), Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(store.DeviceLifetime.Seconds())}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// rememberDevice remembers this browser for customer c, who has just
// proven their address, and ties the session to it.
func (s *Server) rememberDevice(w http.ResponseWriter, r *http.Request, c store.Customer) error {
	token, d, err := s.db.AddCustomerDevice(r.Context(), c.ID, deviceLabel(i18n.From(r.Context()), r.UserAgent()), s.actor(r))
	if err != nil {
		return err
	}
	if err := s.db.BindDeviceSession(r.Context(), s.customer.Token(r.Context()), d); err != nil {
		return err
	}
	s.setDeviceCookie(w, token)
	return nil
}

// deviceSignIn signs the customer of a remembered device in when the
// session has no customer; a device cookie that no longer works is
// cleared. It runs inside the customer session (withCustomer).
func (s *Server) deviceSignIn(w http.ResponseWriter, r *http.Request) error {
	ck, err := r.Cookie(s.deviceCookie())
	if err != nil || ck.Value == "" || s.customerID(r) != 0 {
		return nil
	}
	ctx := r.Context()
	d, err := s.db.DeviceCustomer(ctx, ck.Value)
	if errors.Is(err, store.ErrNotFound) {
		s.setDeviceCookie(w, "")
		return nil
	}
	if err != nil {
		return err
	}
	c, err := s.db.GetCustomer(ctx, d.CustomerID)
	if err != nil {
		return err
	}
	if err := s.signInCustomer(r, c); err != nil {
		return err
	}
	return s.db.BindDeviceSession(ctx, s.customer.Token(ctx), d)
}

// thisDevice is the remembered device of this browser, if it is the
// customer's.
func (s *Server) thisDevice(r *http.Request) (store.CustomerDevice, bool) {
	ck, err := r.Cookie(s.deviceCookie())
	if err != nil || ck.Value == "" {
		return store.CustomerDevice{}, false
	}
	d, err := s.db.DeviceCustomer(r.Context(), ck.Value)
	return d, err == nil && d.CustomerID == s.customerID(r)
}

// forgetThisDevice revokes this browser's device, when it has one, and
// clears its cookie: signing out must not leave a way back in.
func (s *Server) forgetThisDevice(w http.ResponseWriter, r *http.Request) error {
	d, ok := s.thisDevice(r)
	if _, err := r.Cookie(s.deviceCookie()); err == nil {
		s.setDeviceCookie(w, "")
	}
	if !ok {
		return nil
	}
	_, err := s.db.RevokeCustomerDevices(r.Context(), d.CustomerID, d.ID, s.actor(r))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// meDevices lists the devices the customer stays signed in on.
func (s *Server) meDevices(w http.ResponseWriter, r *http.Request) {
	devices, err := s.db.ListCustomerDevices(r.Context(), s.customerID(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	current, _ := s.thisDevice(r)
	s.render(w, r, http.StatusOK, templates.MeDevices(templates.MeDevicesProps{
		Page: s.page(r, i18n.T(r.Context(), i18n.DevicesTitle)), Devices: devices, Current: current.ID,
	}))
}

// meDeviceRevokePost forgets one of the customer's devices; the sessions it
// opened end with it.
func (s *Server) meDeviceRevokePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	current, _ := s.thisDevice(r)
	if _, err := s.db.RevokeCustomerDevices(r.Context(), s.customerID(r), id, s.actor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if id == current.ID {
		s.setDeviceCookie(w, "")
		http.Redirect(w, r, "/", http.StatusSeeOther) // this session was the device's: it has ended
		return
	}
	s.customer.Put(r.Context(), sessNotice, i18n.T(r.Context(), i18n.DeviceRevoked))
	http.Redirect(w, r, "/me/devices", http.StatusSeeOther)
}

// adminCustomerDevicesRevokePost ends every device of a customer who
// stays signed in (a lost phone, a shared computer), audited.
func (s *Server) adminCustomerDevicesRevokePost(w http.ResponseWriter, r *http.Request) {
	c, err := byID(r, s.db.GetCustomer)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	n, err := s.db.RevokeCustomerDevices(r.Context(), c.ID, 0, s.staffActor(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Signed the customer out of "+strconv.FormatInt(n, 10)+" remembered devices.")
	http.Redirect(w, r, "/admin/customers/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// deviceLabel names a browser from its User-Agent, coarsely, in l's
// language (the customer's when they chose to be remembered): "Firefox on
// Linux". Nothing more of the header is kept.
func deviceLabel(l i18n.Locale, ua string) string {
	browser, system := l.T(i18n.DeviceBrowser), ""
	for _, b := range []struct{ key, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.key) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ key, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.key) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return l.T(i18n.DeviceOn, browser, system)
}
