package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"safedesk/backup"
	"safedesk/store"
	"safedesk/templates"
)

// backupIdentity: the key that decrypts backups belongs off the server.
func (d *doctor) backupIdentity() DoctorCheck {
	const name = "backup-identity"
	id := filepath.Join(d.in.Data, backup.IdentityName)
	if _, err := os.Stat(id); err == nil {
		return fail(name, id+" is still on the server: whoever takes the server can read every backup, erased customers in older backups included",
			"copy it somewhere safe off the server (a password manager, an offline disk), then delete it here")
	}
	switch {
	case d.in.Backup.PassphraseFile != "":
		return warn(name, "backups are encrypted to a passphrase this server holds, so it can read its own backups",
			"prefer backup-recipients.txt with the identity off the server")
	case d.in.Backup.Identity != "":
		return warn(name, "--backup-identity lets this server read its own backups (for drills and verify)",
			"keep that identity on a volume mounted only for drills, or drop the flag and verify elsewhere")
	}
	if _, err := os.Stat(filepath.Join(d.in.Data, backup.RecipientsName)); err != nil {
		return warn(name, "no "+backup.RecipientsName+" in the data folder", "start the server once to create it, with its identity")
	}
	return pass(name, "backups are encrypted to "+backup.RecipientsName+"; no identity that decrypts them is on the server")
}

// backups: a recent backup exists and the last attempt worked.
func (d *doctor) backups(ctx context.Context, db *store.DB) DoctorCheck {
	const name = "backups"
	last, err := db.LastBackupRun(ctx, store.BackupKindBackup, true)
	if errors.Is(err, store.ErrNotFound) {
		return fail(name, "no backup has been made", "run safedesk backup create, and keep --backup-schedule on")
	}
	if err != nil {
		return fail(name, err.Error(), "")
	}
	age := d.now.Sub(last.FinishedAt)
	detail := fmt.Sprintf("the last backup (%s) is %s old", last.File, templates.Duration(age))
	if latest, err := db.LastBackupRun(ctx, store.BackupKindBackup, false); err == nil && !latest.OK && latest.ID > last.ID {
		return warn(name, detail+"; the attempt after it failed: "+latest.Error, "see the admin backups page and the server log")
	}
	switch {
	case age > backupFailAge:
		return fail(name, detail, "check --backup-schedule and the server log; run safedesk backup create")
	case age > backupWarnAge:
		return warn(name, detail, "check --backup-schedule and the server log")
	case d.in.Backup.Schedule == "":
		return warn(name, detail+", but scheduled backups are off", "set --backup-schedule")
	}
	return pass(name, detail)
}

// backupVerify: a backup was decrypted and checked recently.
func (d *doctor) backupVerify(ctx context.Context, db *store.DB) DoctorCheck {
	const name = "backup-verify"
	var newest store.BackupRun
	for _, kind := range []string{store.BackupKindVerify, store.BackupKindDrill} {
		if r, err := db.LastBackupRun(ctx, kind, true); err == nil && r.FinishedAt.After(newest.FinishedAt) {
			newest = r
		}
	}
	if newest.FinishedAt.IsZero() {
		return warn(name, "no backup has ever been verified or restored in a drill",
			"run safedesk backup verify FILE --identity ID where the identity lives, or enable the restore drill")
	}
	age := d.now.Sub(newest.FinishedAt)
	detail := fmt.Sprintf("the last %s passed %s ago (%s)", newest.Kind, templates.Duration(age), newest.File)
	if age > verifyWarnAge {
		return warn(name, detail, "verify a recent backup (safedesk backup verify), or check the drill schedule")
	}
	return pass(name, detail)
}
