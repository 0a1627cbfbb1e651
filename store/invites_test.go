package store_test

import (
	"errors"
	"testing"

	"safedesk/store"
)

func TestSetupLinks(t *testing.T) {
	ctx := t.Context()

	t.Run("a newer link replaces an older one, which says so", func(t *testing.T) {
		db, _ := newTestDB(t)
		old, err := db.CreateSetupLink(ctx, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := db.CreateSetupLink(ctx, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetInvite(ctx, "setup", old); !errors.Is(err, store.ErrInviteReplaced) {
			t.Errorf("old link: got %v, want ErrInviteReplaced", err)
		}
		if _, err := db.GetInvite(ctx, "setup", fresh); err != nil {
			t.Errorf("new link: %v", err)
		}
	})

	t.Run("an unused link ends after an hour as expired", func(t *testing.T) {
		db, clk := newTestDB(t)
		link, err := db.CreateSetupLink(ctx, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(store.SetupLinkTTL)
		if _, err := db.GetInvite(ctx, "setup", link); !errors.Is(err, store.ErrInviteExpire) {
			t.Errorf("got %v, want ErrInviteExpire", err)
		}
		// An expired link is not replaced by the next one: it stays expired.
		if _, err := db.CreateSetupLink(ctx, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetInvite(ctx, "setup", link); !errors.Is(err, store.ErrInviteExpire) {
			t.Errorf("after a new link: got %v, want ErrInviteExpire", err)
		}
	})

	t.Run("the live link is found without its token", func(t *testing.T) {
		db, clk := newTestDB(t)
		if _, err := db.LiveSetupLink(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("none made: got %v, want ErrNotFound", err)
		}
		made := clk.Now()
		if _, err := db.CreateSetupLink(ctx, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		clk.Advance(store.SetupLinkTTL / 2)
		inv, err := db.LiveSetupLink(ctx)
		if err != nil || !inv.CreatedAt.Equal(made) || !inv.ExpiresAt.Equal(made.Add(store.SetupLinkTTL)) {
			t.Errorf("got %+v, %v; want the link made at %v", inv, err, made)
		}
		clk.Advance(store.SetupLinkTTL / 2)
		if _, err := db.LiveSetupLink(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired: got %v, want ErrNotFound", err)
		}
	})
}
