package backup

import (
	"context"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// Mailer sends one plain-text mail. Backup alerts go out through it; main
// adapts the server's mailer, which backup may not import.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// alertMailTimeout bounds the sending of one alert mail.
const alertMailTimeout = 30 * time.Second

// alert reports a failed run: the log, a critical security event, and mail
// to the owners and admins. A run cut short by shutdown is no failure.
func (s *Service) alert(ctx context.Context, kind, source string, err error) {
	if ctx.Err() != nil {
		s.log.Info("backup work interrupted by shutdown", "kind", kind)
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.log.Error("BACKUP ALERT: "+kind, "source", source, "err", err)
	if rerr := s.db.RecordSecurityEvent(ctx, store.SecurityEvent{Kind: kind, Severity: store.SeverityCritical,
		Actor: "system", Details: map[string]any{"source": source, "error": err.Error()}}); rerr != nil {
		s.log.Error("security event not recorded", "kind", kind, "err", rerr)
	}
	if s.mailer == nil {
		return
	}
	title := strings.NewReplacer(".", " ", "_", " ").Replace(kind) // "backup failed"
	staff, serr := s.db.ListStaff(ctx)
	if serr != nil {
		s.log.Error("backup alert: staff not listed", "err", serr)
		return
	}
	text := "Alert: " + title + " at " + s.db.Now().UTC().Format(time.RFC1123) + ":\n\n" + err.Error() +
		"\n\nSee the admin backups page and the server log.\n"
	for _, st := range staff {
		if !st.Active() || (st.Role != security.RoleOwner && st.Role != security.RoleAdmin) {
			continue
		}
		mctx, cancel := context.WithTimeout(ctx, alertMailTimeout)
		merr := s.mailer.Send(mctx, st.Email, "safedesk: "+title, text)
		cancel()
		if merr != nil {
			s.log.Error("backup alert mail not sent", "staff", st.ID, "err", merr)
		}
	}
}
