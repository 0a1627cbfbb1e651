package security

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

// zipOf builds a ZIP with the named entries, the first stored (as
// OpenDocument requires for its mimetype entry).
func zipOf(t *testing.T, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, name := range entries {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		body := "content of " + name
		if i == 0 {
			h.Method = zip.Store
			if name == "mimetype" {
				body = "application/vnd.oasis.opendocument.text"
			}
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSniffFile(t *testing.T) {
	ole := []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest of a compound file")
	cases := []struct {
		name     string
		head     []byte
		wantKind string // "" when refused
		wantMIME string
		refusal  string // part of the reason
	}{
		{"photo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "png", "image/png", ""},
		{"photo.jpg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "jpeg", "image/jpeg", ""},
		{"anim.gif", []byte("GIF89a\x01\x00"), "gif", "image/gif", ""},
		{"pic.webp", []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00"), "webp", "image/webp", ""},
		{"invoice.pdf", []byte("%PDF-1.7\n"), "pdf", "application/pdf", ""},
		{"notes.txt", []byte("The grinder arrived cracked.\n"), "text", "text/plain; charset=utf-8", ""},
		{"notes", []byte("Grüße aus Köln\n"), "text", "text/plain; charset=utf-8", ""},
		{"orders.csv", []byte("order,total\n1,9.99\n"), "csv", "text/csv; charset=utf-8", ""},
		{"old.doc", ole, "doc", "application/msword", ""},
		{"sheet.xls", ole, "xls", "application/vnd.ms-excel", ""},
		{"letter.docx", zipOf(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ""},
		{"sheet.xlsx", zipOf(t, "[Content_Types].xml", "xl/workbook.xml"), "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ""},
		{"letter.odt", zipOf(t, "mimetype", "content.xml"), "odt", "application/vnd.oasis.opendocument.text", ""},
		{"logs.zip", zipOf(t, "a.txt", "b.txt"), "zip", "application/zip", ""},

		{"photo.png", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), "", "", "web pages"},
		{"photo.png", []byte("  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"), "", "", "web pages"},
		{"data.txt", []byte("<?xml version='1.0'?><x/>"), "", "", "web pages"},
		{"page.html", []byte("hello"), "", "", "web pages"},
		{"icon.svg", []byte("\x89PNG\r\n\x1a\n"), "", "", "web pages"},
		{"setup.pdf", []byte("MZ\x90\x00\x03"), "", "", "programs"},
		{"tool", []byte("\x7fELF\x02\x01\x01"), "", "", "programs"},
		{"app", []byte("\xcf\xfa\xed\xfe\x07"), "", "", "programs"},
		{"run.txt", []byte("#!/bin/sh\nrm -rf ~\n"), "", "", "programs"},
		{"invoice.exe", []byte("%PDF-1.4"), "", "", "programs"},
		{"notes.bat", []byte("@echo off\n"), "", "", "programs"},
		{"game.zip", zipOf(t, "META-INF/MANIFEST.MF", "Main.class"), "", "", "programs"},
		{"app.zip", zipOf(t, "AndroidManifest.xml", "classes.dex"), "", "", "programs"},
		{"setup.doc", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"[:8]), "doc", "application/msword", ""},
		{"setup.msi", ole, "", "", "programs"},
		{"thing.ole", ole, "", "", "Office file"},
		{"blob.bin", []byte{0, 1, 2, 3, 0xfe}, "", "", "programs"},
		{"blob.dat", []byte{0, 1, 2, 3, 0xfe}, "", "", "cannot be attached"},
		{"old.txt", []byte("caf\xe9 cr\xe8me\n"), "", "", "not UTF-8"},
		{"blank.txt", []byte("   \n\n  "), "", "", "blank"},
	}
	for _, c := range cases {
		t.Run(c.name+" "+strings.ReplaceAll(string(c.head[:min(len(c.head), 12)]), "\x00", "."), func(t *testing.T) {
			ft, err := SniffFile(c.head, c.name)
			if c.wantKind == "" {
				var ref *FileRefusal
				if !errors.As(err, &ref) || !strings.Contains(ref.Reason, c.refusal) {
					t.Fatalf("got %+v, %v; want a refusal mentioning %q", ft, err, c.refusal)
				}
				return
			}
			if err != nil || ft.Kind != c.wantKind || ft.MIME != c.wantMIME {
				t.Fatalf("got %q %q, %v; want %q %q", ft.Kind, ft.MIME, err, c.wantKind, c.wantMIME)
			}
		})
	}
}

func TestFitName(t *testing.T) {
	text, _ := SniffFile([]byte("plain words"), "x")
	png, _ := SniffFile([]byte("\x89PNG\r\n\x1a\n"), "x")
	for _, c := range []struct {
		ft         FileType
		name, want string
	}{
		{text, "notes.txt", "notes.txt"},
		{text, "notes", "notes.txt"},
		{text, "report.HTA", "report.HTA.txt"},
		{png, "photo.JPG", "photo.JPG"},
		{png, "photo", "photo.png"},
	} {
		if got := c.ft.FitName(c.name); got != c.want {
			t.Errorf("FitName(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestFilenames(t *testing.T) {
	for name, wantProblem := range map[string]string{
		"photo.jpg":              "",
		"Überweisung März.pdf":   "",
		"":                       "no name",
		"  ":                     "no name",
		"../../etc/passwd":       "folder path",
		`C:\Users\ada\a.jpg`:     "folder path",
		"..":                     "folder path",
		"bad\x00name.txt":        "control",
		"line\nbreak.txt":        "control",
		"photo\u202egpj.exe":     "control",
		"bad\xffutf8.txt":        "not valid text",
		strings.Repeat("a", 256): "too long",
	} {
		if got := CheckFilename(name); !strings.Contains(got, wantProblem) || (wantProblem == "") != (got == "") {
			t.Errorf("CheckFilename(%q) = %q, want %q", name, got, wantProblem)
		}
	}
	for in, want := range map[string]string{
		"photo.jpg":              "photo.jpg",
		`C:\Users\ada\scan.pdf`:  "scan.pdf",
		"../../etc/passwd":       "passwd",
		"photo\u202egpj.exe":     "photogpj.exe",
		" tab\tname.txt ":        "tabname.txt",
		"/":                      "attachment",
		"\x00\x01":               "attachment",
		strings.Repeat("é", 200): strings.Repeat("é", 127),
	} {
		if got := CleanFilename(in); got != want {
			t.Errorf("CleanFilename(%q) = %q, want %q", in, got, want)
		}
		if p := CheckFilename(CleanFilename(in)); p != "" {
			t.Errorf("CleanFilename(%q) is still refused: %s", in, p)
		}
	}
}
