package handlers_test

import (
	"regexp"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// TestStaticVersioned checks that pages name their static files by version and that a versioned
// address may be kept a year, while an address without the current version may not.
func TestStaticVersioned(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	_, picker := h.Get(path)
	h.ChooseBank(path, "HANDSESS")
	_, bankid := h.Get(path)
	refs := regexp.MustCompile(`(?:href|src|data-qr-encoder)="(/static/[^"]*)"`)
	seen := map[string]bool{}
	for _, page := range []string{picker, bankid} {
		for _, m := range refs.FindAllStringSubmatch(page, -1) {
			seen[e2etest.HTMLUnescape(m[1])] = true
		}
	}
	for _, name := range []string{"app.css", "favicon.svg", "live.js", "lock.svg", "lean-qr.js"} {
		found := false
		for u := range seen {
			found = found || strings.HasPrefix(u, "/static/"+name+"?v=")
		}
		if !found {
			t.Errorf("no versioned address for %s among %v", name, seen)
		}
	}
	for u := range seen {
		resp, body := h.Get(u)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %d", u, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
		name, _, _ := strings.Cut(u, "?")
		for _, stale := range []string{name, name + "?v=old"} {
			resp, _ := h.Get(stale)
			if cc := resp.Header.Get("Cache-Control"); resp.StatusCode != 200 || strings.Contains(cc, "immutable") || strings.Contains(cc, "31536000") {
				t.Errorf("%s: %d, Cache-Control %q", stale, resp.StatusCode, cc)
			}
		}
	}
}
