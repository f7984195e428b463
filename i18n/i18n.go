// Package i18n holds the shopper-facing texts of the checkout, one catalogue per language,
// and formats amounts and times per locale.
package i18n

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"paybybank/payment"
)

// Supported lists the checkout's languages, English first (the fallback).
// Norwegian is bokmål (nb), which also answers for the macro-language "no"; Portuguese is
// European Portuguese, whose number format differs from Brazil's.
var Supported = []language.Tag{language.English, language.Swedish, bokmal, language.Finnish,
	language.Danish, language.French, language.Lithuanian, language.EuropeanPortuguese, language.Norwegian}

var bokmal = language.MustParse("nb")

var matcher = language.NewMatcher(Supported)

// Localizer renders texts and numbers in one language.
type Localizer struct {
	Lang    string // the BCP 47 base, e.g. "sv"
	catalog map[string]string
	printer *message.Printer
}

// New picks the best supported language for the merchant's locale, then the browser's Accept-Language.
func New(locale, acceptLanguage string) *Localizer {
	var prefs []language.Tag
	if t, err := language.Parse(locale); err == nil && locale != "" {
		prefs = append(prefs, t)
	}
	if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil {
		prefs = append(prefs, tags...)
	}
	_, idx, conf := matcher.Match(prefs...)
	if conf == language.No {
		idx = 0
	}
	tag := Supported[idx]
	if tag == language.Norwegian {
		tag = bokmal
	}
	base, _ := tag.Base()
	lang := base.String()
	if lang == "nb" {
		lang = "no"
	}
	cat := catalogs[lang]
	if cat == nil {
		lang, cat = "en", catalogs["en"]
	}
	return &Localizer{Lang: lang, catalog: cat, printer: message.NewPrinter(tag)}
}

// T returns the text for key, falling back to English, then to the key itself.
func (l *Localizer) T(key string) string {
	if s, ok := l.catalog[key]; ok {
		return s
	}
	if s, ok := catalogs["en"][key]; ok {
		return s
	}
	return key
}

// Money formats minor units of currency for reading, e.g. "1,249.00 SEK" or "1 249,00 SEK".
// Integer arithmetic only: the integer part goes through the locale's grouping, the decimals
// are appended with the locale's separator.
func (l *Localizer) Money(minor int64, currency string) string {
	s := payment.FormatAmount(minor, currency)
	intPart, frac, _ := strings.Cut(s, ".")
	var n int64
	for _, c := range intPart {
		n = n*10 + int64(c-'0')
	}
	out := l.printer.Sprintf("%d", n)
	if frac != "" {
		out += l.decimalSeparator() + frac
	}
	return out + "\u00a0" + currency
}

func (l *Localizer) decimalSeparator() string {
	if l.Lang == "en" {
		return "."
	}
	return ","
}
