package banks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
)

// Link is a hyperlink in a bank's answer (`_links`). Berlin Group's schema writes a link as an
// object, `"scaRedirect": {"href": "https://…"}`; Paysera's and SIBS' documents write it as a
// plain string, `"scaRedirect": "https://…"`. Link reads both, and null or absent as no link.
type Link struct {
	Href string
}

// UnmarshalJSON reads a link in either documented form.
func (l *Link) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		l.Href = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &l.Href)
	case len(b) > 0 && b[0] == '{':
		var o struct {
			Href string `json:"href"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return fmt.Errorf("link: %w", err)
		}
		l.Href = o.Href
		return nil
	}
	return fmt.Errorf("link: want a string or {\"href\": …}, got %.40s", b)
}

// MarshalJSON writes the Berlin Group form, {"href": …}.
func (l Link) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Href string `json:"href"`
	}{l.Href})
}

// Links is a `_links` object: link name to link.
type Links map[string]Link

// Href returns the first of the named links that is present, or "". Banks name some links in
// more than one way (`scaRedirect` or `redirect`).
func (ls Links) Href(names ...string) string {
	for _, n := range names {
		if l, ok := ls[n]; ok && l.Href != "" {
			return l.Href
		}
	}
	return ""
}

// ResolveLink resolves a link the bank gave against the provider's base URL and refuses one
// that points at another host: we send our credentials and our shopper's data only to the
// provider we configured.
func ResolveLink(base, href string) (string, error) {
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		return "", fmt.Errorf("link: base URL %q is not absolute", base)
	}
	u, err := url.Parse(href)
	if err != nil {
		return "", fmt.Errorf("link: %q: %w", href, err)
	}
	if !u.IsAbs() && u.Host == "" {
		// A path relative to the provider: Berlin Group links are absolute paths from the API's
		// root ("/v1/payments/…"), which may or may not repeat the base URL's own path prefix.
		if u.Path != "" && u.Path[0] == '/' && b.Path != "" && b.Path != "/" && !hasPathPrefix(u.Path, b.Path) {
			ref := *u
			ref.Path = trimRight(b.Path) + u.Path
			ref.RawPath = ""
			if u.RawPath != "" {
				ref.RawPath = trimRight(b.EscapedPath()) + u.RawPath
			}
			u = &ref
		}
		u = b.ResolveReference(u)
	}
	if u.Scheme != b.Scheme || u.Host != b.Host {
		return "", fmt.Errorf("link: %s://%s is not the provider's host %s", u.Scheme, u.Host, b.Host)
	}
	return u.String(), nil
}

func hasPathPrefix(p, prefix string) bool {
	prefix = trimRight(prefix)
	return p == prefix || len(p) > len(prefix) && p[:len(prefix)] == prefix && p[len(prefix)] == '/'
}

func trimRight(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// ResolveRedirect resolves a link the shopper's browser is sent to (an SCA page). It may be on
// the bank's own host, but must be https, or use the base URL's own scheme (the fakes in tests
// and the sandbox speak plain HTTP).
func ResolveRedirect(base, href string) (string, error) {
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		return "", fmt.Errorf("redirect: base URL %q is not absolute", base)
	}
	u, err := url.Parse(href)
	if err != nil || href == "" {
		return "", fmt.Errorf("redirect: %q is not a link", href)
	}
	u = b.ResolveReference(u)
	if u.Scheme != "https" && u.Scheme != b.Scheme {
		return "", fmt.Errorf("redirect: %q is neither https nor the provider's scheme", href)
	}
	return u.String(), nil
}
