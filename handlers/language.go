package handlers

import (
	"net/http"
	"strings"

	"github.com/gorilla/sessions"

	"paybybank/i18n"
	"paybybank/payment"
)

// A shopper's choice of language belongs to one payment: two tabs paying two shops keep their own
// languages, and a choice made for one payment never turns up on another's pages. The session
// keeps the choices as "token=lang" pairs joined by ";", the newest last.

// langChoicesKey is the session value holding the choices; maxLangChoices bounds them.
const (
	langChoicesKey = "langs"
	maxLangChoices = 16
)

// chosenLang is the language the shopper chose for the payment with token, or "".
func chosenLang(sess *sessions.Session, token string) string {
	raw, _ := sess.Values[langChoicesKey].(string)
	for _, pair := range strings.Split(raw, ";") {
		if t, lang, ok := strings.Cut(pair, "="); ok && t == token {
			return lang
		}
	}
	return ""
}

// latestLang is the language the shopper chose last, for any payment: for the sandbox's pages,
// which stand in for a bank and know no payment, so a demo stays in the language just chosen.
func latestLang(sess *sessions.Session) string {
	raw, _ := sess.Values[langChoicesKey].(string)
	if i := strings.LastIndexByte(raw, '='); i >= 0 {
		return raw[i+1:]
	}
	return ""
}

// chooseLang records lang as the choice for the payment with token and reports whether the
// session changed; the oldest choices go past maxLangChoices.
func chooseLang(sess *sessions.Session, token, lang string) bool {
	if token == "" || !validLang(lang) || chosenLang(sess, token) == lang {
		return false
	}
	raw, _ := sess.Values[langChoicesKey].(string)
	var kept []string
	for _, pair := range strings.Split(raw, ";") {
		if t, _, ok := strings.Cut(pair, "="); ok && t != token {
			kept = append(kept, pair)
		}
	}
	kept = append(kept, token+"="+lang)
	if len(kept) > maxLangChoices {
		kept = kept[len(kept)-maxLangChoices:]
	}
	sess.Values[langChoicesKey] = strings.Join(kept, ";")
	return true
}

// validLang accepts a language tag as the switcher sends it ("sv", "pt-PT"): letters and hyphens.
func validLang(lang string) bool {
	if lang == "" || len(lang) > 8 {
		return false
	}
	for _, r := range lang {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}

// takeLang records the language switcher's ?lang= as the choice for the payment with token and
// reports whether the session changed.
func takeLang(r *http.Request, sess *sessions.Session, token string) bool {
	return chooseLang(sess, token, r.URL.Query().Get("lang"))
}

// localizer picks the language of a page: on a payment's pages the shopper's choice for that
// payment, then the merchant's locale, then the browser's; elsewhere (the workspace) the choice
// kept for the browser, then the browser's.
func (s *Server) localizer(r *http.Request, p *payment.Payment) *i18n.Localizer {
	locale, token := "", r.PathValue("token")
	if p != nil {
		locale, token = p.Locale, p.Token
	}
	if sess, err := s.sessions.Get(r, sessionName); err == nil {
		if token != "" {
			if lang := chosenLang(sess, token); lang != "" {
				locale = lang
			}
		} else if lang, _ := sess.Values["lang"].(string); lang != "" {
			locale = lang
		}
	}
	return i18n.New(locale, r.Header.Get("Accept-Language"))
}
