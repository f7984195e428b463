package handlers

import (
	"net/http"

	"paybybank/static"
)

// cacheStatic lets browsers keep a static file for a year when its address names the file's
// current version (static.URL): a new version has a new address, so nothing stale is ever used.
// An address without a version, or with an old one (a page from before a deploy), gets the
// current file for an hour only.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if static.Current(r.URL.Path, r.URL.Query().Get("v")) {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		next.ServeHTTP(w, r)
	})
}
