package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"safedesk/backup"
	"safedesk/store"
	"safedesk/templates"
)

// adminBackups is the backups page: status, history and the files.
func (s *Server) adminBackups(w http.ResponseWriter, r *http.Request) {
	status, err := s.backupStatus(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p := templates.AdminBackupsProps{AdminPage: s.adminPageProps(r, "Backups", "backups"), Status: status}
	if s.cfg.Backups != nil {
		files, err := s.cfg.Backups.Files()
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		for _, f := range files {
			p.Files = append(p.Files, backupRow(f))
		}
	}
	s.render(w, r, http.StatusOK, templates.AdminBackups(p))
}

// adminBackupStatus is the status panel alone, polled while a run lasts.
// When the run it was watching has ended, the whole page reloads.
func (s *Server) adminBackupStatus(w http.ResponseWriter, r *http.Request) {
	status, err := s.backupStatus(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if status.Running == "" && r.URL.Query().Get("watching") != "" {
		w.Header().Set("HX-Refresh", "true")
	}
	s.render(w, r, http.StatusOK, templates.AdminBackupStatus(status))
}

// backupStatus gathers the status panel: configuration, the last runs and
// the free space where backups are written.
func (s *Server) backupStatus(r *http.Request) (templates.AdminBackupStatusProps, error) {
	ctx := r.Context()
	p := templates.AdminBackupStatusProps{Now: s.db.Now(), FreeBytes: -1}
	if s.cfg.Backups == nil {
		return p, nil
	}
	st := s.cfg.Backups.Status()
	p.Configured = true
	p.Dir, p.CopyTo, p.Keep = st.Dir, st.CopyTo, st.Keep
	p.Schedule, p.NextRun = st.Schedule, st.NextRun
	p.DrillSchedule, p.NextDrill, p.CanVerify = st.DrillSchedule, st.NextDrill, st.CanVerify
	p.Running, p.RunningSince = st.Running, st.RunningSince
	p.FreeBytes = diskFree(st.Dir)
	var err error
	if p.LastSuccess, err = lastRun(ctx, s.db, store.BackupKindBackup, true); err != nil {
		return p, err
	}
	if p.LastAttempt, err = lastRun(ctx, s.db, store.BackupKindBackup, false); err != nil {
		return p, err
	}
	verify, err := lastRun(ctx, s.db, store.BackupKindVerify, false)
	if err != nil {
		return p, err
	}
	drill, err := lastRun(ctx, s.db, store.BackupKindDrill, false)
	if err != nil {
		return p, err
	}
	p.LastCheck = verify
	if drill.ID > verify.ID {
		p.LastCheck = drill
	}
	return p, nil
}

// lastRun is LastBackupRun with "none yet" as the zero run.
func lastRun(ctx context.Context, db *store.DB, kind string, okOnly bool) (store.BackupRun, error) {
	r, err := db.LastBackupRun(ctx, kind, okOnly)
	if errors.Is(err, store.ErrNotFound) {
		return store.BackupRun{}, nil
	}
	return r, err
}

func backupRow(e backup.Entry) templates.AdminBackupFile {
	f := templates.AdminBackupFile{Name: e.Name, Path: e.Path, Created: e.Created, Size: e.Size}
	if e.Manifest != nil {
		f.SHA256, f.Schema = e.Manifest.SHA256, e.Manifest.SchemaVersion
	}
	return f
}

// backups is the backup service, errNotFound when this process makes none.
func (s *Server) backups(*http.Request) (*backup.Service, error) {
	if s.cfg.Backups == nil {
		return nil, errNotFound
	}
	return s.cfg.Backups, nil
}

// adminBackupRunPost starts a backup now ("back up now").
func (s *Server) adminBackupRunPost(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Backups == nil {
		s.serveError(w, r, errNotFound)
		return
	}
	switch err := s.cfg.Backups.Start(s.staffActor(r)); {
	case errors.Is(err, backup.ErrBusy):
		s.flash(r, "A backup, verify or restore drill is already running. Try again when it has finished.")
	case err != nil:
		s.serveError(w, r, err)
		return
	default:
		s.flash(r, "Backup started. It appears in the list below when it has finished.")
	}
	http.Redirect(w, r, "/admin/backups", http.StatusSeeOther)
}

// adminBackupDownloadPost sends one (encrypted) backup file. Behind step-up
// and audited: the file is useless without the identity, but who took a
// copy of the data, and when, is worth knowing.
func (s *Server) adminBackupDownloadPost(w http.ResponseWriter, r *http.Request) {
	b, err := withForm(r, s.backups)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	f, bf, err := b.Open(r.PostForm.Get("name"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	defer f.Close()
	if err := s.db.RecordAudit(r.Context(), s.staffActor(r), "backup.downloaded", "backup:"+bf.Name, map[string]any{"bytes": bf.Size}); err != nil {
		s.serveError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", bf.Name))
	h.Set("Cache-Control", "no-store")
	// A backup takes longer to send than the write timeout allows a
	// response: each chunk gets the whole timeout instead.
	http.ServeContent(s.longResponse(w), r, bf.Name, bf.Created, f)
}

// adminBackupRestorePost is "restore" from the panel. It never replaces the
// live database: an in-process restore would pull the file from under open
// connections and cached keys. It verifies the backup (when the server holds
// an identity) exactly as a restore would, and gives the commands for the
// restore itself, which runs with the server stopped.
func (s *Server) adminBackupRestorePost(w http.ResponseWriter, r *http.Request) {
	b, err := withForm(r, s.backups)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	name := r.PostForm.Get("name")
	p := templates.AdminBackupRestoreProps{AdminPage: s.adminPageProps(r, "Restore a backup", "backups")}
	f, err := b.Verify(r.Context(), name, s.staffActor(r))
	var failed *backup.CheckError
	switch {
	case errors.Is(err, backup.ErrNoIdentity):
		// Nothing to check here: the restore command verifies first.
	case errors.As(err, &failed):
		p.Checked, p.Error = true, failed.Error()
	case errors.Is(err, backup.ErrBusy):
		s.flash(r, "A backup, verify or restore drill is running. Try again when it has finished.")
		http.Redirect(w, r, "/admin/backups", http.StatusSeeOther)
		return
	case err != nil:
		s.serveError(w, r, err)
		return
	default:
		p.Checked, p.Verified = true, true
	}
	p.File, p.DataDir = backupRow(f), filepath.Dir(b.Status().Dir)
	s.render(w, r, http.StatusOK, templates.AdminBackupRestore(p))
}
