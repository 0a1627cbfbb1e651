package api

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"safedesk/security"
)

// TestTicketCreateRedacts: a card number sent as a customer's text is
// stored as a placeholder, and the created ticket says what was removed
// with a value the OpenAPI document lists.
func TestTicketCreateRedacts(t *testing.T) {
	a := newTestAPI(t)
	tok := a.token("tickets:write", "tickets:read")
	resp := a.api("POST", "/api/v1/tickets", tok, `{"email":"card.sender@example.com","name":"Card Sender",`+
		`"subject":"Charge on 4111.1111.1111.1111","body":"Please refund to DE89 3704 0044 0532 0130 00"}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	var created struct {
		ID       int64    `json:"id"`
		Subject  string   `json:"subject"`
		Redacted []string `json:"redacted"`
	}
	if err := json.Unmarshal([]byte(resp.body), &created); err != nil {
		t.Fatal(err)
	}
	if created.Subject != "Charge on [card number removed]" || !slices.Equal(created.Redacted, []string{"card_number", "iban"}) {
		t.Errorf("created %+v", created)
	}
	got := a.api("GET", "/api/v1/tickets/"+strconv.FormatInt(created.ID, 10), tok, "")
	if strings.Contains(got.body, "4111") || strings.Contains(got.body, "3704") || !strings.Contains(got.body, "[IBAN removed]") {
		t.Errorf("stored ticket:\n%s", got.body)
	}
	if strings.Contains(got.body, `"redacted"`) {
		t.Error("a ticket read back says redacted: only the created one does")
	}
	plain := a.api("POST", "/api/v1/tickets", tok, `{"email":"plain@example.com","subject":"Grinder","body":"It squeaks"}`)
	if strings.Contains(plain.body, `"redacted"`) {
		t.Errorf("nothing removed, yet: %s", plain.body)
	}

	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Ticket struct {
					Properties struct {
						Redacted struct {
							Items struct {
								Enum []string `json:"enum"`
							} `json:"items"`
						} `json:"redacted"`
					} `json:"properties"`
				} `json:"Ticket"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas.Ticket.Properties.Redacted.Items.Enum
	for _, k := range []security.Kind{security.KindCard, security.KindIBAN, security.KindSSN, security.KindPassword,
		security.KindOTP, security.KindAPIKey, security.KindPrivateKey} {
		if !slices.Contains(enum, string(k)) {
			t.Errorf("%q is not documented (enum %v)", k, enum)
		}
	}
}
