// Package i18n holds the shopper-facing texts of the checkout, one catalogue per language,
// and formats amounts and times per locale.
package i18n

import (
	"strings"
	"sync"

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
	group   string // the thousands separator, as x/text's printer writes it for the language
}

// localizers keeps the localizers made, by their inputs: every page needs one, and parsing
// Accept-Language and matching it was a tenth of a page's time. A Localizer never changes once
// made, so one serves any number of requests at once.
var localizers struct {
	sync.Mutex
	m map[string]*Localizer
}

// maxLocalizers bounds the kept localizers; Accept-Language headers vary little, but a client
// can send anything, so past the bound the map starts afresh.
const maxLocalizers = 1024

// New picks the best supported language for the merchant's locale, then the browser's Accept-Language.
func New(locale, acceptLanguage string) *Localizer {
	key := locale + "\x00" + acceptLanguage
	localizers.Lock()
	l, ok := localizers.m[key]
	localizers.Unlock()
	if ok {
		return l
	}
	l = newLocalizer(locale, acceptLanguage)
	localizers.Lock()
	if localizers.m == nil || len(localizers.m) >= maxLocalizers {
		localizers.m = make(map[string]*Localizer)
	}
	localizers.m[key] = l
	localizers.Unlock()
	return l
}

func newLocalizer(locale, acceptLanguage string) *Localizer {
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
	// "1<sep>000<sep>000": the separator is what stands between the digits.
	million := message.NewPrinter(tag).Sprintf("%d", 1000000)
	group := million[1 : 1+(len(million)-7)/2]
	return &Localizer{Lang: lang, catalog: cat, group: group}
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
// Integer arithmetic only: the integer part is grouped by threes with the locale's separator
// (learnt from x/text when the localizer is made), the decimals follow the locale's mark.
func (l *Localizer) Money(minor int64, currency string) string {
	s := payment.FormatAmount(minor, currency)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(intPart); i++ {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteByte(intPart[i])
	}
	if frac != "" {
		b.WriteString(l.decimalSeparator())
		b.WriteString(frac)
	}
	b.WriteString("\u00a0")
	b.WriteString(currency)
	return b.String()
}

func (l *Localizer) decimalSeparator() string {
	if l.Lang == "en" {
		return "."
	}
	return ","
}
