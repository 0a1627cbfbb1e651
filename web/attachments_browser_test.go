package web

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// jsFiles is a JavaScript expression of a DataTransfer holding one file
// with name, type and bytes, as a drag or a paste carries it.
func jsFiles(name, mime string, data []byte) string {
	return `(function () {
  var bytes = Uint8Array.from(atob(` + jsString(base64.StdEncoding.EncodeToString(data)) + `), function (c) { return c.charCodeAt(0); });
  var dt = new DataTransfer();
  dt.items.add(new File([bytes], ` + jsString(name) + `, { type: ` + jsString(mime) + ` }));
  return dt;
})()`
}

// dropFile drops a file onto the drop zone of the form sel, as a person
// dragging it from their desktop does.
func (b *browser) dropFile(sel, name, mime string, data []byte) {
	b.t.Helper()
	b.eval(`(function (dt) {
  var zone = document.querySelector(` + jsString(sel+" [data-dropzone]") + `);
  zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
})(` + jsFiles(name, mime, data) + `)`)
}

// pasteFile pastes a file into the field sel, as a screenshot is pasted.
func (b *browser) pasteFile(sel, name, mime string, data []byte) {
	b.t.Helper()
	b.eval(`document.querySelector(` + jsString(sel) + `).dispatchEvent(new ClipboardEvent("paste", { clipboardData: ` +
		jsFiles(name, mime, data) + `, bubbles: true, cancelable: true }))`)
}

// TestBrowserAttachments: in Chromium a visitor drops a phone photo onto
// the new-request form, is told its location was removed, and after
// confirming the address sees the thumbnail, upright as the phone took it;
// a pasted file joins a reply. No page reports a CSP violation.
func TestBrowserAttachments(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)
	photo := photoWithGPS(t, "BrowserGPSMarker")

	b.open("/tickets/new")
	b.waitPage("/tickets/new", "Contact support")
	b.do("fill in the form",
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.org"),
		chromedp.SendKeys(chromedp.ID("subject"), "Cracked hopper"),
		chromedp.SendKeys(chromedp.ID("body"), "Photo attached."),
	)
	b.dropFile("#ticket-form", "hopper.jpg", "image/jpeg", photo)
	b.waitFor("the dropped file is chosen", `document.getElementById("attachments").files.length === 1 &&
		document.querySelector("[data-file-list]").innerText.includes("hopper.jpg")`)
	b.noProblems("drop")
	b.do("send", chromedp.Click(chromedp.CSS(`#ticket-form button[type="submit"]`)))
	b.waitPage("/verify", "Location and camera data were removed from hopper.jpg")
	code := env.mail.next(t).code(t)
	b.do("enter the code",
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.CSS(`[data-testid="verify"] form button[type="submit"]`)),
	)
	// The receipt's code leads straight to the request it was sent for.
	b.waitPageMatch(`^/tickets/\d+$`, "Photo attached.")
	// The photo is 48×32 turned by its EXIF orientation (6): shown upright
	// it is 32 wide and 48 high, which proves the orientation survived.
	b.waitFor("the thumbnail shows, upright", `(function () {
		var img = document.querySelector('[data-testid="thumbnail"]');
		return img && img.complete && img.naturalWidth === 32 && img.naturalHeight === 48;
	})()`)
	b.noProblems("thumbnail")
	b.screenshot("attachment-thumbnail")

	ticket := b.path()
	b.do("type a reply", chromedp.SendKeys(chromedp.ID("body"), "And the receipt."))
	b.pasteFile("#body", "receipt.txt", "text/plain", []byte("Receipt 42\n"))
	b.waitFor("the pasted file is chosen", `document.getElementById("attachments").files.length === 1`)
	if got := b.value("body"); got != "And the receipt." {
		t.Errorf("the paste changed the text to %q", got)
	}
	b.do("send the reply", chromedp.Click(chromedp.CSS(`#reply-form button[type="submit"]`)))
	// (The form's list of chosen files names it too: wait for the
	// conversation.)
	b.waitFor("the reply with its file", `location.pathname === `+jsString(ticket)+` &&
		document.querySelectorAll('[data-testid="conversation"] [data-testid="attachment-link"]').length === 2`)
	b.noProblems("reply with a pasted file")
	if text := b.text(`[data-testid="conversation"]`); strings.Count(text, "hopper.jpg") != 1 || !strings.Contains(text, "receipt.txt") {
		t.Errorf("the conversation:\n%s", text)
	}
}
