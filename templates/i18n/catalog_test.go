package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"safedesk/store"
)

// sameAsEnglish are the translations that rightly read as the English one:
// words the language shares.
var sameAsEnglish = map[Key][]string{
	NavChat:          {"de", "fr", "es", "nl"},
	PrivCookies:      {"de", "fr", "es", "nl"},
	NavArticles:      {"fr"},
	FooterPrivacy:    {"nl"},
	ErrConflictTitle: {"nl"},
	No:               {"es"},
	StatusOpen:       {"nl"},
	MinutesCount:     {"fr"},
	AuthorSystem:     {"de"},
	ArticlesCount:    {"fr"},
}

// keyNames reads the names of the keys, in order, from keys.go.
func keyNames(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, sp := range gd.Specs {
			for _, n := range sp.(*ast.ValueSpec).Names {
				names = append(names, n.Name)
			}
		}
	}
	if len(names) != int(keyCount)+1 || names[len(names)-1] != "keyCount" {
		t.Fatalf("keys.go has %d constants ending in %q; want the %d keys and keyCount", len(names), names[len(names)-1], keyCount)
	}
	return names[:keyCount]
}

var (
	verbRe = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*[sdvq]`)
	tagRe  = regexp.MustCompile(`<[^>]+>`)
)

// verbs lists a text's fmt verbs as argument number and verb, sorted, so
// that a translation may order its arguments with %[n]s.
func verbs(s string) []string {
	var out []string
	next := 1
	for _, m := range verbRe.FindAllStringSubmatch(s, -1) {
		arg := strings.Trim(m[1], "[]")
		if arg == "" {
			arg = string(rune('0' + next))
			next++
		}
		out = append(out, arg+m[0][len(m[0])-1:])
	}
	slices.Sort(out)
	return out
}

// TestCatalog holds every message to the catalog's rules: every key has a
// text in every language, in exactly one area; every translation takes the
// English text's arguments and, for markup, its tags; a Count key has two
// forms everywhere; and no translation is the English text left in place.
func TestCatalog(t *testing.T) {
	names := keyNames(t)
	seen := map[Key]int{}
	for _, area := range areas {
		for k := range area {
			seen[k]++
		}
	}
	for k := Key(0); k < keyCount; k++ {
		if seen[k] != 1 {
			t.Errorf("%s is in %d catalogs, want 1", names[k], seen[k])
		}
	}
	if len(seen) != int(keyCount) {
		t.Errorf("the catalogs hold %d keys, keys.go %d", len(seen), keyCount)
	}
	langs := reflect.TypeFor[Text]()
	if langs.NumField() != len(Languages) {
		t.Fatalf("Text has %d languages, Languages %d", langs.NumField(), len(Languages))
	}
	for k := Key(0); k < keyCount; k++ {
		name, row := names[k], catalog[k]
		en := row.EN
		for _, lang := range Languages {
			s := row.in(lang)
			where := name + " in " + lang
			switch {
			case strings.TrimSpace(s) == "":
				t.Errorf("%s: missing", where)
				continue
			case lang != "en" && s == en && !slices.Contains(sameAsEnglish[k], lang):
				t.Errorf("%s: still the English text %q", where, s)
			}
			if !slices.Equal(verbs(s), verbs(en)) {
				t.Errorf("%s: arguments %v, English has %v", where, verbs(s), verbs(en))
			}
			isHTML := strings.HasSuffix(name, "HTML")
			if tags := tagRe.FindAllString(s, -1); isHTML {
				if want := tagRe.FindAllString(en, -1); !slices.Equal(tags, want) || len(tags) == 0 {
					t.Errorf("%s: tags %q, English has %q", where, tags, want)
				}
			} else if strings.ContainsAny(s, "<>") {
				t.Errorf("%s: markup in a text key (name it ...HTML): %q", where, s)
			}
			if strings.HasSuffix(name, "Count") {
				one, other, ok := strings.Cut(s, "|")
				if !ok || strings.Contains(other, "|") || one == "" || other == "" {
					t.Errorf("%s: want two forms, one|other: %q", where, s)
				}
			} else if strings.Contains(s, "|") {
				t.Errorf("%s: a | outside a Count key: %q", where, s)
			}
		}
	}
}

// TestCatalogKeysUsed reports keys that no code or template outside this
// package uses: a catalog holds no dead text.
func TestCatalogKeysUsed(t *testing.T) {
	names := keyNames(t)
	used := map[string]bool{}
	use := regexp.MustCompile(`\bi18n\.([A-Z]\w*)`)
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "i18n" || (strings.HasPrefix(d.Name(), ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".templ") && (!strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_templ.go")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// This package's own code uses keys too (Duration).
	for _, f := range []string{"locale.go", "dates.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if regexp.MustCompile(`\b` + n + `\b`).Match(b) {
				used[n] = true
			}
		}
	}
	for _, n := range names {
		if !used[n] {
			t.Errorf("%s is in the catalog but used nowhere", n)
		}
	}
}

// TestLanguagesAreTheStore's: the catalogs speak exactly the languages an
// article may be written in and the assistant speaks.
func TestLanguagesAreTheStores(t *testing.T) {
	if !slices.Equal(Languages, store.Languages) {
		t.Errorf("Languages %v, store.Languages %v", Languages, store.Languages)
	}
	for _, l := range Languages {
		if Names[l] == "" {
			t.Errorf("%s has no name", l)
		}
	}
}
