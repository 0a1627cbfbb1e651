package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// decodeJSON reads exactly one JSON object into v, refusing unknown fields,
// trailing data and any content type but JSON.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errUnsupportedType
		}
	}
	return decodeJSONBody(r.Body, v)
}

// decodeJSONBody is decodeJSON's parser, apart for fuzzing. v must point to
// a struct whose fields all carry json tags.
func decodeJSONBody(body io.Reader, v any) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err // over the size limit: 413
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errEmptyBody
	}
	// Unmarshal checks the syntax, trailing data included, and the types;
	// checkKeys then refuses what it lets through.
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return checkKeys(data, jsonFields(reflect.TypeOf(v).Elem()))
}

// checkKeys refuses the members encoding/json ignores or bends: an unknown
// one, one whose name matches a field only case-insensitively, and one given
// twice (of which encoding/json silently keeps the last). Either would let a
// proxy or validator in front of us read another request than we do. data
// is valid JSON (it was just decoded); only the top-level object's member
// names are looked at.
func checkKeys(data []byte, fields []string) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errorf(http.StatusBadRequest, "invalid_json", "The body must be a JSON object.")
	}
	seen := make([]bool, len(fields)) // seen[k]: fields[k] was given
	for i = skipSpace(data, i+1); i < len(data) && data[i] != '}'; i = skipSpace(data, i) {
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end := stringEnd(data, i)
		if end < 0 {
			return errorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
		}
		name := string(data[i+1 : end-1])
		if bytes.IndexByte(data[i:end], '\\') >= 0 {
			if err := json.Unmarshal(data[i:end], &name); err != nil {
				return errorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
			}
		}
		k := slices.Index(fields, name)
		if k < 0 {
			return errorf(http.StatusBadRequest, "unknown_field", "Unknown field %s.", safeName(name))
		}
		if seen[k] {
			return errorf(http.StatusBadRequest, "invalid_json", "Field %s is given twice.", safeName(name))
		}
		seen[k] = true
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return errorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
		}
		if i = valueEnd(data, skipSpace(data, i+1)); i < 0 {
			return errorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
		}
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at i, or
// -1.
func stringEnd(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// valueEnd returns the index just past the JSON value starting at i, or -1.
func valueEnd(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch c := data[i]; c {
		case '"':
			if i = stringEnd(data, i); i < 0 {
				return -1
			}
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	if depth == 0 {
		return i
	}
	return -1
}

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// jsonError explains a decoding failure without echoing the input.
func jsonError(err error) error {
	var maxErr *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return err
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.As(err, &syn):
		return errorf(http.StatusBadRequest, "invalid_json", "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "invalid_json", "The body ends in the middle of a JSON value.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errorf(http.StatusBadRequest, "invalid_json", "The body must be a JSON object.")
		}
		return errorf(http.StatusBadRequest, "invalid_json", "Field %s must be a JSON %s.", safeName(typ.Field), jsonKind(typ.Type.Kind()))
	}
	return errorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
}

// safeName quotes a name from the request for a message, cut to 40 bytes
// on a character boundary.
func safeName(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return strconv.QuoteToASCII(s)
}

// jsonKind names a Go kind as JSON does.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "number"
}
