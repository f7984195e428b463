package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestStaticVersioned checks that pages name their static files by version and that a versioned
// address may be kept a year, while an address without the current version may not.
func TestStaticVersioned(t *testing.T) {
	h := newHarness(t)
	_, path := h.createPayment("")
	_, picker := h.get(path)
	h.chooseBank(path, "HANDSESS")
	_, bankid := h.get(path)
	refs := regexp.MustCompile(`(?:href|src|data-qr-encoder)="(/static/[^"]*)"`)
	seen := map[string]bool{}
	for _, page := range []string{picker, bankid} {
		for _, m := range refs.FindAllStringSubmatch(page, -1) {
			seen[htmlUnescape(m[1])] = true
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
		resp, body := h.get(u)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %d", u, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
		name, _, _ := strings.Cut(u, "?")
		for _, stale := range []string{name, name + "?v=old"} {
			resp, _ := h.get(stale)
			if cc := resp.Header.Get("Cache-Control"); resp.StatusCode != 200 || strings.Contains(cc, "immutable") || strings.Contains(cc, "31536000") {
				t.Errorf("%s: %d, Cache-Control %q", stale, resp.StatusCode, cc)
			}
		}
	}
}
