package security

import "testing"

func TestParseLimit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		rate float64
		b    int
	}{{"20/s,60", 20, 60}, {"5/h,5", 5.0 / 3600, 5}, {"30/m, 10", 0.5, 10}} {
		l, err := ParseLimit(tt.in)
		if err != nil || l.Rate != tt.rate || l.Burst != tt.b {
			t.Errorf("ParseLimit(%q) = %+v, %v", tt.in, l, err)
		}
		if back, _ := ParseLimit(l.String()); back != l {
			t.Errorf("%+v.String() = %q does not parse back", l, l.String())
		}
	}
	for _, bad := range []string{"", "20", "20/s", "0/s,5", "20/d,5", "20/s,0", "x/s,1"} {
		if _, err := ParseLimit(bad); err == nil {
			t.Errorf("ParseLimit(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"20/s,60": "20/s,60", "30/m,10": "30/m,10", "5/h,5": "5/h,5", "1.5/h,2": "1.5/h,2"} {
		l, err := ParseLimit(in)
		if err != nil || l.String() != want {
			t.Errorf("ParseLimit(%q).String() = %q, %v; want %q", in, l.String(), err, want)
		}
	}
}
