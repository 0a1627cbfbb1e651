package static

import "testing"

func TestAcceptsEncoding(t *testing.T) {
	for _, tt := range []struct {
		header, enc string
		want        bool
	}{
		{"gzip, deflate, br", "br", true},
		{"gzip, deflate, br", "gzip", true},
		{"gzip", "br", false},
		{"br;q=0", "br", false},
		{"br; q=0.0, gzip", "br", false},
		{"BR;q=0.5", "br", true},
		{"", "gzip", false},
		{"gzipx", "gzip", false},
	} {
		if got := AcceptsEncoding(tt.header, tt.enc); got != tt.want {
			t.Errorf("AcceptsEncoding(%q, %q) = %v, want %v", tt.header, tt.enc, got, tt.want)
		}
	}
}

// TestPathNamesContent: a file's hashed name changes with its content and
// only then; an unknown name keeps its plain address.
func TestPathNamesContent(t *testing.T) {
	a, err := newAsset("app.css", []byte("body{}"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newAsset("app.css", []byte("body{color:red}"))
	if err != nil {
		t.Fatal(err)
	}
	if a.hashed == b.hashed || a.hashed != "app."+a.tag+".css" {
		t.Errorf("hashed names %q and %q", a.hashed, b.hashed)
	}
	s := &Set{byName: map[string]*asset{"app.css": a}}
	if got := s.Path("app.css"); got != "/static/"+a.hashed {
		t.Errorf("Path(app.css) = %q", got)
	}
	if got := s.Path("nope.js"); got != "/static/nope.js" {
		t.Errorf("Path(nope.js) = %q", got)
	}
}
