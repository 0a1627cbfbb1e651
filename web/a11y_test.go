package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// TestFormErrorsTiedToFields: a form sent back with errors marks each
// invalid control and names its message with aria-describedby, and the
// message is announced (role=alert); a valid control stays unmarked.
func TestFormErrorsTiedToFields(t *testing.T) {
	env := newTestServer(t)
	resp := env.client().post("/tickets/new", url.Values{"name": {"Ada"}, "subject": {"Grinder"}})
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", resp.status)
	}
	for _, field := range []string{"email", "body"} {
		control := regexp.MustCompile(`<(?:input|textarea) id="` + field + `"[^>]*>`).FindString(resp.body)
		if !regexp.MustCompile(`aria-describedby="`+field+`-error"`).MatchString(control) ||
			!regexp.MustCompile(`aria-invalid="true"`).MatchString(control) {
			t.Errorf("%s: control %s, want aria-invalid and aria-describedby=%s-error", field, control, field)
		}
		if !regexp.MustCompile(`<p class="field-error" id="` + field + `-error" role="alert"`).MatchString(resp.body) {
			t.Errorf("%s: no announced message with id %s-error", field, field)
		}
	}
	name := regexp.MustCompile(`<input id="name"[^>]*>`).FindString(resp.body)
	if regexp.MustCompile(`aria-invalid|aria-describedby`).MatchString(name) {
		t.Errorf("the valid name field is marked: %s", name)
	}
}
