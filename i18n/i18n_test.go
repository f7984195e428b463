package i18n

import "testing"

func TestCatalogsComplete(t *testing.T) {
	for lang, cat := range catalogs {
		for key := range en {
			if _, ok := cat[key]; !ok {
				t.Errorf("%s: missing key %q", lang, key)
			}
		}
		for key := range cat {
			if _, ok := en[key]; !ok {
				t.Errorf("%s: key %q not in the English catalogue", lang, key)
			}
		}
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		locale, accept string
		minor          int64
		currency, want string
	}{
		{"en", "", 124900, "SEK", "1,249.00\u00a0SEK"},
		{"sv-SE", "", 124900, "SEK", "1\u00a0249,00\u00a0SEK"},
		{"", "sv;q=0.9,en;q=0.5", 5, "SEK", "0,05\u00a0SEK"},
		{"", "", 1500, "ISK", "1,500\u00a0ISK"},
		{"xx", "", 100, "EUR", "1.00\u00a0EUR"},
	}
	for _, tt := range tests {
		if got := New(tt.locale, tt.accept).Money(tt.minor, tt.currency); got != tt.want {
			t.Errorf("Money(%s/%s, %d %s) = %q, want %q", tt.locale, tt.accept, tt.minor, tt.currency, got, tt.want)
		}
	}
}
