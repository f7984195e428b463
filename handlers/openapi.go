package handlers

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the merchant API's OpenAPI 3.1 document; the tests hold the server to it.
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(OpenAPI)
}
