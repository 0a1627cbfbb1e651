package web

import (
	"net/http"

	"safedesk/store"
)

// signedInStaff reports whether r carries the cookie of a live staff
// session: passkey-authenticated, within its idle and absolute limits, of
// an active staff member. Blocks and throttles of a client address apply to
// anonymous and customer traffic only, so that nobody behind the same NAT
// or mobile carrier address can lock the team out; the block records the
// staff sessions it spared (store.SaveBlock). Only refused requests ask,
// so it costs nothing on the common path.
func (s *Server) signedInStaff(r *http.Request) bool {
	c, err := r.Cookie(s.staff.Cookie.Name)
	if err != nil || c.Value == "" {
		return false
	}
	sess, err := s.db.GetStaffSession(r.Context(), store.TokenHash(c.Value))
	if err != nil || !sess.Live() {
		return false
	}
	now := s.db.Now()
	if now.Sub(sess.LastSeenAt) > s.cfg.StaffIdle || now.Sub(sess.CreatedAt) > s.cfg.StaffLifetime {
		return false
	}
	st, err := s.db.GetStaff(r.Context(), sess.StaffID)
	return err == nil && st.Active()
}
