package views

import (
	"context"
	"strings"
	"testing"

	"paybybank/i18n"
)

// The language switcher is drawn once per language; every page must still offer every language
// with the page's own selected.
func TestLanguageSwitcher(t *testing.T) {
	for _, l := range languages {
		var b strings.Builder
		p := Page{L: i18n.New(l.Code, ""), Path: "/checkout/tok"}
		if err := langSwitcher(p).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		if n := strings.Count(html, "<option "); n != len(languages) {
			t.Errorf("%s: %d options", l.Code, n)
		}
		if strings.Count(html, " selected") != 1 || !strings.Contains(html, `value="`+p.L.Lang+`" selected`) {
			t.Errorf("%s: selection wrong in %s", l.Code, html)
		}
	}
	if html := langOptionsFor("xx"); strings.Count(html, "<option ") != len(languages) || strings.Contains(html, "selected") {
		t.Errorf("unknown language: %s", html)
	}
}
