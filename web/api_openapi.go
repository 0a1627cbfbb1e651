package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of the API, kept by hand
// beside the route table; TestOpenAPIMatchesRoutes holds the two together.
//
//go:embed openapi.json
var openAPIDoc []byte

// apiOpenAPI serves the OpenAPI document. It is public: it describes the
// API, not any data.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write(openAPIDoc)
}
