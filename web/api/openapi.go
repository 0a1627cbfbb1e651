package api

import (
	_ "embed"
	"net/http"

	"safedesk/store"
)

// openAPIDoc is the OpenAPI 3.1 description of the API, kept by hand
// beside the route table; TestOpenAPIMatchesRoutes holds the two together.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the OpenAPI document. It is public: it describes the
// API, not any data.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request, _ *store.Principal) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "public, max-age=3600")
	w.Write(openAPIDoc)
}
