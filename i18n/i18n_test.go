package i18n

import (
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

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

func TestEveryLanguageHasACatalogue(t *testing.T) {
	want := map[string]string{"en": "en", "sv-SE": "sv", "nb-NO": "no", "no": "no", "fi": "fi", "da-DK": "da", "fr-FR": "fr", "lt": "lt", "pt-PT": "pt"}
	for locale, lang := range want {
		l := New(locale, "")
		if l.Lang != lang {
			t.Errorf("%s → %s, want %s", locale, l.Lang, lang)
		}
		if lang != "en" && l.T("picker.heading") == en["picker.heading"] {
			t.Errorf("%s shows English", locale)
		}
	}
	if got := New("", "de-DE,fr;q=0.8").Lang; got != "fr" {
		t.Errorf("Accept-Language fallback: %s", got)
	}
}

func TestMoneyPerLocale(t *testing.T) {
	for locale, want := range map[string]string{
		"fr": "1\u00a0249,00\u00a0EUR", "fi": "1\u00a0249,00\u00a0EUR", "da": "1.249,00\u00a0EUR",
		"no": "1\u00a0249,00\u00a0EUR", "lt": "1\u00a0249,00\u00a0EUR", "pt": "1\u00a0249,00\u00a0EUR",
	} {
		if got := New(locale, "").Money(124900, "EUR"); got != want {
			t.Errorf("%s: %q, want %q", locale, got, want)
		}
	}
}

// The hand grouping of Money writes what x/text's printer writes, for every language and size.
func TestMoneyGroupsAsXText(t *testing.T) {
	for _, tag := range Supported {
		l := New(tag.String(), "")
		if tag == language.Norwegian {
			tag = bokmal // as New prints Norwegian
		}
		p := message.NewPrinter(tag)
		for _, whole := range []int64{0, 7, 12, 999, 1000, 12345, 999999, 1000000, 123456789, 9876543210} {
			got := l.Money(whole*100+5, "EUR")
			want := p.Sprintf("%d", whole) + l.decimalSeparator() + "05\u00a0EUR"
			if got != want {
				t.Errorf("%s %d: %q, x/text %q", tag, whole, got, want)
			}
		}
	}
}
