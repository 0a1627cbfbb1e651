package web

import (
	"strconv"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates/i18n"
)

// fileProblems are the reasons the store and the file checks give for a
// refused file (in English, as they word them), each with the catalog key
// that tells the person in their language.
var fileProblems = map[string]i18n.Key{
	"it is empty":                                     i18n.FileEmpty,
	"a file has no name":                              i18n.FileNoName,
	"its name is not valid text":                      i18n.FileNameInvalid,
	"its name is too long (at most 255 bytes)":        i18n.FileNameTooLong,
	"its name contains a folder path":                 i18n.FileNamePath,
	"its name contains control characters":            i18n.FileNameControl,
	"programs and scripts cannot be attached":         i18n.FileProgram,
	"web pages, SVG and XML files cannot be attached": i18n.FileMarkup,
	"this kind of file cannot be attached (we accept photos and images, PDF, text, CSV, office documents and ZIP)": i18n.FileUnknownType,
	"an Office file must be named .doc, .xls, .ppt or .msg":                                                        i18n.FileOfficeName,
	"this text is not UTF-8; save it as UTF-8 and try again":                                                       i18n.FileNotUTF8,
	"it holds nothing but blank space":                                                                             i18n.FileBlank,
	"the image is cut short":                                                                                       i18n.FileImageCut,
	"it is not a valid image":                                                                                      i18n.FileImageInvalid,
	"it was removed before the message was sent; please choose it again":                                           i18n.FileGone,
	fileIncomplete: i18n.FileIncomplete,
	"a message can carry at most " + strconv.Itoa(store.MaxAttachments) + " files": i18n.FileTooMany,
}

// fileIncomplete is the problem of a file whose upload was cut off.
const fileIncomplete = "it did not arrive completely"

// fileMessage says what is wrong with a refused file, naming it, in l's
// language: `„photo.png“: sie ist leer.`. A reason without a translation
// (a new check) is told as a refusal without its detail, never in English.
// maxSize is the upload's limit per file.
func fileMessage(l i18n.Locale, ae *store.AttachmentError, maxSize int64) string {
	var problem string
	switch k, ok := fileProblems[ae.Problem]; {
	case ae.TooLarge:
		problem = l.T(i18n.FileTooLarge, store.FormatSize(maxSize))
	case ok && k == i18n.FileTooMany:
		problem = l.T(k, store.MaxAttachments)
	case ok:
		problem = l.T(k)
	case l.Lang == i18n.Default:
		problem = ae.Problem
	default:
		problem = l.T(i18n.FileRefused)
	}
	if strings.TrimSpace(ae.Name) == "" {
		return l.T(i18n.FileProblemUnnamed, problem)
	}
	return l.T(i18n.FileProblemNamed, security.CleanFilename(ae.Name), problem)
}
