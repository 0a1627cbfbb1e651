package store_test

import (
	"bytes"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/store"
)

// TestNoPlaintextAtRest writes personal data with unique markers and then
// reads every byte of the data folder: none of it may be there in the clear.
// A public article's title must be found, which proves that the scan sees
// what is written.
func TestNoPlaintextAtRest(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	dir := filepath.Dir(db.Path())
	mark := func(label string) string { return label + "-" + rand.Text() }

	email := "Marker." + rand.Text() + "@Example.com"
	verifyEmail := "Verified." + rand.Text() + "@Example.org"
	secrets := map[string]string{
		"email":               email,
		"email, lowercased":   strings.ToLower(email),
		"name":                mark("NameMarker"),
		"subject":             mark("SubjectMarker"),
		"body":                mark("BodyMarker"),
		"reply":               mark("ReplyMarker"),
		"internal note":       mark("NoteMarker"),
		"verified email":      verifyEmail,
		"verified, lowercase": strings.ToLower(verifyEmail),
	}
	public := mark("PublicTitleMarker")

	tk, err := db.CreateTicket(ctx, store.NewTicket{Email: email, Name: secrets["name"], Subject: secrets["subject"], Body: secrets["body"]}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Body: secrets["reply"]}, editor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Internal: true, Body: secrets["internal note"]}, editor); err != nil {
		t.Fatal(err)
	}
	issued, err := db.IssueCode(ctx, store.CodeRequest{Email: verifyEmail}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	code := issued.Code
	if _, err := db.CheckCode(ctx, store.CodeCheck{Email: verifyEmail, Code: code}, customerActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckCode(ctx, store.CodeCheck{Email: email, Code: code}, customerActor); err == nil {
		t.Fatal("a code for one address verified another")
	}
	saveArticle(t, db, "public-article", public, "Public text.", true)

	// Everything is readable through the store, so it was all stored.
	if got, _ := db.ListMessages(ctx, tk.ID, true); len(got) != 3 || got[2].Body != secrets["internal note"] {
		t.Fatalf("messages: got %+v", got)
	}

	for _, phase := range []string{"open, data in the WAL", "closed and checkpointed"} {
		if strings.HasPrefix(phase, "closed") {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
		all := folderBytes(t, dir)
		for what, s := range secrets {
			if bytes.Contains(all, []byte(s)) {
				t.Errorf("%s: the %s %q is in the files in plaintext", phase, what, s)
			}
		}
		if !bytes.Contains(all, []byte(public)) {
			t.Errorf("%s: the public title %q is not in the files: the scan sees nothing", phase, public)
		}
	}
}
