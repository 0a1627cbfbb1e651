package security

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SniffLen is how many leading bytes of a file SniffFile looks at.
const SniffLen = 4096

// FileType is what a file's content shows it to be: only the types of the
// allow-list exist, so a FileType is always one that may be stored.
type FileType struct {
	// Kind names the format: png, jpeg, gif, webp, pdf, text, csv, docx,
	// xlsx, pptx, odt, ods, odp, doc, xls, ppt, msg, zip.
	Kind string
	// MIME is the content type a download carries.
	MIME string
	// exts are the file-name extensions that fit the content, the
	// canonical one first.
	exts []string
}

// Raster reports whether the type is a raster image that a browser may show
// inline as a thumbnail (never SVG, which is a document that runs script).
func (t FileType) Raster() bool {
	switch t.Kind {
	case "png", "jpeg", "gif", "webp":
		return true
	}
	return false
}

// FileRefusal is a file the allow-list refuses; Reason says why in words
// for the person who chose it ("programs and scripts cannot be attached").
type FileRefusal struct{ Reason string }

// Error names the refusal.
func (e *FileRefusal) Error() string { return "security: file refused: " + e.Reason }

func refuse(reason string) *FileRefusal { return &FileRefusal{Reason: reason} }

const (
	reasonProgram = "programs and scripts cannot be attached"
	reasonMarkup  = "web pages, SVG and XML files cannot be attached"
	reasonUnknown = "this kind of file cannot be attached (we accept photos and images, PDF, text, CSV, office documents and ZIP)"
)

// refusedExts are names that run as programs, scripts or web pages when
// opened, refused whatever the content claims to be.
var refusedExts = map[string]string{}

func init() {
	for _, e := range strings.Fields(`exe dll com scr pif cpl msi msp msc bat cmd ps1 psm1 psd1 vbs vbe js jse mjs cjs wsf wsh hta
		lnk url scf reg inf sh bash zsh csh ksh fish command tool app run bin elf so dylib jar class apk aab xapk xpi crx
		appx appxbundle msix msixbundle deb rpm dmg pkg mpkg iso img vhd vhdx py pyc pyw pl rb php phtml lua ps`) {
		refusedExts[e] = reasonProgram
	}
	for _, e := range strings.Fields(`html htm xhtml xht shtml mht mhtml svg svgz xml xsl xslt rss atom`) {
		refusedExts[e] = reasonMarkup
	}
}

// fileExt is the lower-cased extension of name without the dot.
func fileExt(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// SniffFile decides a file's type from its first bytes (up to SniffLen)
// and its name: the content must be one of the allow-list (PNG, JPEG, GIF,
// WebP, PDF, plain text, CSV, OOXML and OpenDocument files, legacy Office
// files, ZIP); the name only chooses between variants the content allows
// (CSV or text, which legacy Office file) and refuses names that open as
// programs or web pages. A refusal is a *FileRefusal.
func SniffFile(head []byte, name string) (FileType, error) {
	ext := fileExt(name)
	if reason, ok := refusedExts[ext]; ok {
		return FileType{}, refuse(reason)
	}
	switch {
	case isProgram(head):
		return FileType{}, refuse(reasonProgram)
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return imageType("png", "image/png"), nil
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return imageType("jpeg", "image/jpeg"), nil
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return imageType("gif", "image/gif"), nil
	case len(head) >= 16 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return imageType("webp", "image/webp"), nil
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return FileType{Kind: "pdf", MIME: "application/pdf", exts: []string{"pdf"}}, nil
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return oleType(ext)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return zipType(head, ext)
	}
	return textType(head, ext)
}

var imageExts = []string{"png", "jpg", "jpeg", "jpe", "jfif", "gif", "webp"}

// imageType is a raster image; any image extension fits any image (a phone
// that names a JPEG .png harms no one).
func imageType(kind, mime string) FileType {
	canon := kind
	if kind == "jpeg" {
		canon = "jpg"
	}
	return FileType{Kind: kind, MIME: mime, exts: append([]string{canon}, imageExts...)}
}

// isProgram recognises executables and scripts by their first bytes:
// Windows (MZ), ELF, Mach-O (and its universal form, whose magic Java
// class files share) and #! scripts.
func isProgram(head []byte) bool {
	if bytes.HasPrefix(head, []byte("MZ")) || bytes.HasPrefix(head, []byte("\x7fELF")) || bytes.HasPrefix(head, []byte("#!")) {
		return true
	}
	if len(head) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(head) {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe, 0xbebafeca:
		return true
	}
	return false
}

// oleType is a legacy Office file (an OLE compound file). Installers (.msi)
// are OLE files too, so the name must say which Office file it is.
func oleType(ext string) (FileType, error) {
	switch ext {
	case "doc", "dot":
		return FileType{Kind: "doc", MIME: "application/msword", exts: []string{"doc", "dot"}}, nil
	case "xls", "xlt":
		return FileType{Kind: "xls", MIME: "application/vnd.ms-excel", exts: []string{"xls", "xlt"}}, nil
	case "ppt", "pps", "pot":
		return FileType{Kind: "ppt", MIME: "application/vnd.ms-powerpoint", exts: []string{"ppt", "pps", "pot"}}, nil
	case "msg":
		return FileType{Kind: "msg", MIME: "application/vnd.ms-outlook", exts: []string{"msg"}}, nil
	}
	return FileType{}, refuse("an Office file must be named .doc, .xls, .ppt or .msg")
}

// zipEntries lists the names of the ZIP entries whose local headers lie
// wholly in head, and the first entry's stored data (an OpenDocument file
// keeps its type there).
func zipEntries(head []byte) (names []string, first []byte) {
	for off := 0; off+30 <= len(head) && string(head[off:off+4]) == "PK\x03\x04"; {
		flags := binary.LittleEndian.Uint16(head[off+6:])
		method := binary.LittleEndian.Uint16(head[off+8:])
		csize := int(binary.LittleEndian.Uint32(head[off+18:]))
		nlen := int(binary.LittleEndian.Uint16(head[off+26:]))
		xlen := int(binary.LittleEndian.Uint16(head[off+28:]))
		data := off + 30 + nlen + xlen
		if data > len(head) {
			break
		}
		names = append(names, string(head[off+30:off+30+nlen]))
		if len(names) == 1 && method == 0 {
			// Stored; its length is 0 here when a data descriptor follows.
			end := min(len(head), data+csize)
			if csize == 0 {
				end = min(len(head), data+100)
			}
			first = head[data:end]
		}
		if flags&0x08 != 0 {
			break // sizes follow the data: the next header cannot be found
		}
		off = data + csize
	}
	return names, first
}

// zipType tells OOXML and OpenDocument files from plain ZIPs, and refuses
// the ZIPs that are programs (Java archives, Android and browser
// packages).
func zipType(head []byte, ext string) (FileType, error) {
	names, first := zipEntries(head)
	ooxml := false
	prefix := ""
	for _, n := range names {
		switch {
		case n == "META-INF/MANIFEST.MF", n == "AndroidManifest.xml", n == "classes.dex":
			return FileType{}, refuse(reasonProgram)
		case n == "[Content_Types].xml":
			ooxml = true
		case prefix == "" && (strings.HasPrefix(n, "word/") || strings.HasPrefix(n, "xl/") || strings.HasPrefix(n, "ppt/")):
			prefix, _, _ = strings.Cut(n, "/")
		}
	}
	if len(names) > 0 && names[0] == "mimetype" {
		for _, odf := range []struct{ kind, mime string }{
			{"odt", "application/vnd.oasis.opendocument.text"},
			{"ods", "application/vnd.oasis.opendocument.spreadsheet"},
			{"odp", "application/vnd.oasis.opendocument.presentation"},
		} {
			if bytes.HasPrefix(first, []byte(odf.mime)) {
				return FileType{Kind: odf.kind, MIME: odf.mime, exts: []string{odf.kind}}, nil
			}
		}
	}
	if ooxml {
		if prefix == "" {
			prefix = map[string]string{"docx": "word", "xlsx": "xl", "pptx": "ppt"}[ext]
		}
		switch prefix {
		case "word":
			return FileType{Kind: "docx", MIME: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", exts: []string{"docx"}}, nil
		case "xl":
			return FileType{Kind: "xlsx", MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exts: []string{"xlsx"}}, nil
		case "ppt":
			return FileType{Kind: "pptx", MIME: "application/vnd.openxmlformats-officedocument.presentationml.presentation", exts: []string{"pptx"}}, nil
		}
	}
	return FileType{Kind: "zip", MIME: "application/zip", exts: []string{"zip"}}, nil
}

// textType accepts plain text (UTF-8, or UTF-16 with its byte-order mark)
// that is not markup: a document starting with a tag is HTML, SVG or XML
// whatever its name.
func textType(head []byte, ext string) (FileType, error) {
	ct := http.DetectContentType(head)
	if !strings.HasPrefix(ct, "text/plain") {
		if strings.HasPrefix(ct, "text/") {
			return FileType{}, refuse(reasonMarkup) // text/html, text/xml
		}
		return FileType{}, refuse(reasonUnknown)
	}
	utf16 := strings.Contains(ct, "utf-16")
	body := head
	if !utf16 {
		body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
		// The sniffed bytes may end inside a character.
		for i := 0; i < utf8.UTFMax-1 && len(body) > 0 && !utf8.Valid(body); i++ {
			body = body[:len(body)-1]
		}
		if !utf8.Valid(body) {
			return FileType{}, refuse("this text is not UTF-8; save it as UTF-8 and try again")
		}
		if t := bytes.TrimLeftFunc(body, unicode.IsSpace); len(t) > 0 && t[0] == '<' {
			return FileType{}, refuse(reasonMarkup)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return FileType{}, refuse("it holds nothing but blank space")
	}
	switch ext {
	case "csv":
		return FileType{Kind: "csv", MIME: textMIME("text/csv", ct), exts: []string{"csv"}}, nil
	case "tsv", "tab":
		return FileType{Kind: "csv", MIME: textMIME("text/tab-separated-values", ct), exts: []string{"tsv", "tab"}}, nil
	}
	return FileType{Kind: "text", MIME: textMIME("text/plain", ct), exts: []string{"txt", "text", "log", "md", "json", "yaml", "yml", "ini", "conf", "cfg", "eml"}}, nil
}

// textMIME is mime with the charset that sniffing found.
func textMIME(mime, sniffed string) string {
	_, charset, ok := strings.Cut(sniffed, "charset=")
	if !ok {
		charset = "utf-8"
	}
	return mime + "; charset=" + charset
}

// FitName returns name with the type's own extension appended when its
// extension does not fit the content ("notes" becomes "notes.txt",
// "report.hta" holding text would be "report.hta.txt"), so that a
// downloaded file opens in the program its content is for, never in one
// its name picked.
func (t FileType) FitName(name string) string {
	ext := fileExt(name)
	for _, e := range t.exts {
		if ext == e {
			return name
		}
	}
	return name + "." + t.exts[0]
}

// CheckFilename says what is wrong with a file name as a person gave it,
// or "" when nothing is: it must be present, valid UTF-8 of at most 255
// bytes, without a folder path and without control or bidirectional
// formatting characters (which make "photo‮gpj.exe" look like a photo).
func CheckFilename(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "a file has no name"
	case !utf8.ValidString(name):
		return "its name is not valid text"
	case len(name) > 255:
		return "its name is too long (at most 255 bytes)"
	case strings.ContainsAny(name, `/\`), name == ".", name == "..":
		return "its name contains a folder path"
	case strings.IndexFunc(name, badNameRune) >= 0:
		return "its name contains control characters"
	}
	return ""
}

// badNameRune: control characters and the invisible formatting characters
// that reorder or hide text.
func badNameRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// CleanFilename makes any name safe to store and show, for files whose name
// no person can be asked to fix (mail attachments): the last path element,
// without control and formatting characters, trimmed, at most 255 bytes, and
// "attachment" when nothing is left.
func CleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if badNameRune(r) {
			return -1
		}
		return r
	}, name))
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}
