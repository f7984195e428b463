package handlers

import (
	"fmt"
	"net/http"

	"paybybank/views"
)

// theme serves a merchant's accent colour as a stylesheet: the strict CSP forbids inline styles.
func (s *Server) theme(w http.ResponseWriter, r *http.Request) {
	m, err := s.store.Merchant(r.Context(), r.PathValue("merchant"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	accent := views.AccessibleAccent(m.Accent)
	if accent == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	fmt.Fprintf(w, ":root{--accent:%s;--accent-text:#fff}\n", accent)
}

// logo serves a merchant's logo from our own origin: the checkout loads nothing from third parties.
func (s *Server) logo(w http.ResponseWriter, r *http.Request) {
	data, typ, err := s.store.Logo(r.Context(), r.PathValue("merchant"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(data)
}
