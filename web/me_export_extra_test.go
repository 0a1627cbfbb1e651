package web

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"safedesk/store"
)

// TestExportHoldsDevicesAndTags: the export lists the devices the customer
// stays signed in on, always, and the labels staff put on their tickets
// only when the owner includes internal notes (both are staff's working
// data about the ticket).
func TestExportHoldsDevicesAndTags(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	me, path := env.signIn("devices.tags@example.org", "Grinder noise", "It squeaks.")
	c := env.customerOf("devices.tags@example.org")
	if _, _, err := env.db.AddCustomerDevice(ctx, c.ID, "Firefox on Linux", store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.SetTicketTags(ctx, ticketID(t, path), []string{"noise", "vip"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	export := func() (doc struct {
		Tickets []struct{ Tags []string }
		Devices []struct{ Device, CreatedAt, ExpiresAt string }
	}) {
		t.Helper()
		resp := me.get("/me/export")
		if resp.status != http.StatusOK {
			t.Fatalf("export: %d %s", resp.status, resp.body)
		}
		if err := json.Unmarshal([]byte(resp.body), &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	doc := export()
	if len(doc.Devices) != 1 || doc.Devices[0].Device != "Firefox on Linux" {
		t.Errorf("devices %+v, want the remembered Firefox", doc.Devices)
	}
	if len(doc.Tickets) != 1 || doc.Tickets[0].Tags != nil {
		t.Errorf("tickets %+v: tags exported without internal notes", doc.Tickets)
	}
	if err := env.db.SetSetting(ctx, settingExportNotes, "on", store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if doc = export(); len(doc.Tickets) != 1 || !reflect.DeepEqual(doc.Tickets[0].Tags, []string{"noise", "vip"}) {
		t.Errorf("tickets %+v, want the tags with internal notes on", doc.Tickets)
	}
}

// ticketID is the id in a /tickets/{id} path.
func ticketID(t *testing.T, path string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(path, "/tickets/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
