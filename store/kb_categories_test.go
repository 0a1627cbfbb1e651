package store_test

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"safedesk/store"
)

func TestCategories(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	ship, err := db.SaveCategory(ctx, store.Category{Slug: "shipping", Name: " Shipping ", Description: "Parcels.", Position: 2}, editor)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := db.SaveCategory(ctx, store.Category{Slug: "account", Name: "Account", Position: 1}, editor)
	if err != nil {
		t.Fatal(err)
	}
	saveArticle(t, db, "track", "Track a parcel", "Use the link.", true)
	for _, a := range []store.Article{
		{Slug: "track", Title: "Track a parcel", Body: "Use the link.", Published: true, CategoryID: ship},
		{Slug: "costs", Title: "Costs", Body: "Five euros.", Published: true, CategoryID: ship},
		{Slug: "drones", Title: "Drones", Body: "Soon.", Published: false, CategoryID: ship},
	} {
		if err := db.SaveArticle(ctx, a, editor); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("listed in order with their published articles counted", func(t *testing.T) {
		cats, err := db.ListCategories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cats) != 2 || cats[0].ID != acct || cats[1].ID != ship || cats[1].Articles != 2 || cats[1].Name != "Shipping" {
			t.Fatalf("categories = %+v, want account then shipping with 2 articles", cats)
		}
	})
	t.Run("a category page lists only published articles", func(t *testing.T) {
		arts, err := db.CategoryArticles(ctx, ship)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range arts {
			got = append(got, a.Slug)
		}
		if !slices.Equal(got, []string{"costs", "track"}) {
			t.Fatalf("articles = %v, want costs, track", got)
		}
	})
	t.Run("saving without a category keeps it; NoCategory clears it", func(t *testing.T) {
		if err := db.SaveArticle(ctx, store.Article{Slug: "track", Title: "Track your parcel", Body: "Use the link.", Published: true}, editor); err != nil {
			t.Fatal(err)
		}
		if a, _ := db.GetArticle(ctx, "track", false); a.CategoryID != ship {
			t.Fatalf("category = %d, want %d kept", a.CategoryID, ship)
		}
		if err := db.SaveArticle(ctx, store.Article{Slug: "track", Title: "Track your parcel", Body: "Use the link.", Published: true, CategoryID: store.NoCategory}, editor); err != nil {
			t.Fatal(err)
		}
		if a, _ := db.GetArticle(ctx, "track", false); a.CategoryID != 0 {
			t.Fatalf("category = %d, want none", a.CategoryID)
		}
	})
	t.Run("an unknown category is a field error", func(t *testing.T) {
		err := db.SaveArticle(ctx, store.Article{Slug: "x", Title: "X", Body: "x", CategoryID: 999}, editor)
		var verr *store.ValidationError
		if !errors.As(err, &verr) || verr.Fields["category"] == "" {
			t.Fatalf("err = %v, want a category field error", err)
		}
	})
	t.Run("a slug in use is a field error", func(t *testing.T) {
		_, err := db.SaveCategory(ctx, store.Category{Slug: "shipping", Name: "Other"}, editor)
		var verr *store.ValidationError
		if !errors.As(err, &verr) || verr.Fields["slug"] == "" {
			t.Fatalf("err = %v, want a slug field error", err)
		}
	})
	t.Run("deleting a category keeps its articles, without one", func(t *testing.T) {
		if err := db.DeleteCategory(ctx, ship, editor); err != nil {
			t.Fatal(err)
		}
		a, err := db.GetArticle(ctx, "costs", false)
		if err != nil || a.CategoryID != 0 {
			t.Fatalf("article = %+v, %v; want it kept without a category", a, err)
		}
		if err := db.DeleteCategory(ctx, ship, editor); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v, want ErrNotFound", err)
		}
	})
}

func TestImportCategories(t *testing.T) {
	db, _ := newTestDB(t)
	fsys := fstest.MapFS{
		"categories.txt": {Data: []byte("# comment\nOrders: Where your parcel is.\nAccount: Signing in.\n")},
		"track.md":       {Data: []byte("---\ncategory: Orders\n---\n# Track\n\nBody.")},
		"login.md":       {Data: []byte("---\nlang: de\ncategory: Account\n---\n# Anmelden\n\nText.")},
		"loose.md":       {Data: []byte("# Loose\n\nNo category.")},
	}
	if _, _, err := db.ImportArticles(t.Context(), fsys, editor); err != nil {
		t.Fatal(err)
	}
	cats, err := db.ListCategories(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) != 2 || cats[0].Slug != "orders" || cats[0].Description != "Where your parcel is." || cats[1].Slug != "account" || cats[1].Articles != 1 {
		t.Fatalf("categories = %+v", cats)
	}
	login, err := db.GetArticle(t.Context(), "login", false)
	if err != nil || login.CategoryID != cats[1].ID || login.Lang != "de" {
		t.Fatalf("login = %+v, %v", login, err)
	}
	// Importing again creates nothing new.
	if _, _, err := db.ImportArticles(t.Context(), fsys, editor); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.ListCategories(t.Context()); len(again) != 2 {
		t.Fatalf("after a second import: %d categories, want 2", len(again))
	}
}

func TestDemoArticlesHaveCategories(t *testing.T) {
	db, _ := newTestDB(t)
	if _, _, err := db.ImportArticles(t.Context(), store.DemoArticles(), editor); err != nil {
		t.Fatal(err)
	}
	arts, err := db.ListArticles(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if a.CategoryID == 0 {
			t.Errorf("demo article %s has no category", a.Slug)
		}
	}
}

func TestBranding(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	if b, err := db.GetBranding(ctx); err != nil || b != (store.Branding{}) {
		t.Fatalf("unsaved branding = %+v, %v; want zero", b, err)
	}
	err := db.SaveBranding(ctx, store.Branding{Color: "red", Site: "javascript:alert(1)"}, editor)
	var verr *store.ValidationError
	if !errors.As(err, &verr) || verr.Fields["color"] == "" || verr.Fields["site"] == "" {
		t.Fatalf("err = %v, want colour and site errors", err)
	}
	if err := db.SaveBranding(ctx, store.Branding{Name: " Nordic Brew Co. ", Color: "1F6", Site: "https://nordicbrew.example", Hours: "Mon–Fri 9–17"}, editor); err != nil {
		t.Fatal(err)
	}
	want := store.Branding{Name: "Nordic Brew Co.", Color: "#11ff66", Site: "https://nordicbrew.example", Hours: "Mon–Fri 9–17"}
	if b, err := db.GetBranding(ctx); err != nil || b != want {
		t.Fatalf("branding = %+v, %v; want %+v", b, err, want)
	}
	if _, err := db.GetBrandImage(ctx, store.ImageLogo); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("logo before upload: %v, want ErrNotFound", err)
	}
	if err := db.SaveLogo(ctx, []byte("logo"), []byte("icon"), editor); err != nil {
		t.Fatal(err)
	}
	if img, err := db.GetBrandImage(ctx, store.ImageFavicon); err != nil || string(img.PNG) != "icon" {
		t.Fatalf("favicon = %q, %v", img.PNG, err)
	}
	if err := db.SaveLogo(ctx, nil, nil, editor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetBrandImage(ctx, store.ImageLogo); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("logo after removal: %v, want ErrNotFound", err)
	}
}

func TestPrivacyNotice(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	n, saved, err := db.GetPrivacyNotice(ctx)
	if err != nil || saved || n.BasisTickets == "" || n.Authority == "" {
		t.Fatalf("unsaved notice = %+v, %v, %v; want the defaults", n, saved, err)
	}
	err = db.SavePrivacyNotice(ctx, store.PrivacyNotice{AuthorityURL: "ftp://x"}, editor)
	var verr *store.ValidationError
	if !errors.As(err, &verr) || verr.Fields["address"] == "" || verr.Fields["contact"] == "" || verr.Fields["authority_url"] == "" {
		t.Fatalf("err = %v, want address, contact and authority_url errors", err)
	}
	if err := db.SavePrivacyNotice(ctx, store.PrivacyNotice{Controller: "Nordic Brew B.V.", Address: "Oudegracht 1\r\nUtrecht", Contact: "privacy@nordicbrew.example", BasisChat: "Consent."}, editor); err != nil {
		t.Fatal(err)
	}
	n, saved, err = db.GetPrivacyNotice(ctx)
	if err != nil || !saved || n.Address != "Oudegracht 1\nUtrecht" || n.BasisChat != "Consent." || n.BasisTickets != store.DefaultPrivacyNotice().BasisTickets {
		t.Fatalf("notice = %+v, %v, %v", n, saved, err)
	}
}
