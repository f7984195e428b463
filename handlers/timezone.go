package handlers

import (
	"net/http"
	"net/url"
	"time"

	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/views"
)

// tzCookie holds the browser's time zone (an IANA name such as "Europe/Oslo"), which live.js
// sets from Intl on every checkout page, so that the times the server writes are the shopper's.
const tzCookie = "tz"

// shopperZone is the zone the shopper reads times in: their browser's, else the payment country's.
func shopperZone(r *http.Request, p *payment.Payment) *time.Location {
	name := ""
	if c, err := r.Cookie(tzCookie); err == nil {
		name, _ = url.QueryUnescape(c.Value)
	}
	return i18n.Zone(name, paymentCountry(p))
}

// paymentCountry is where a payment belongs: the merchant's country for it, else the country of
// the account it pays, else the home of its currency.
func paymentCountry(p *payment.Payment) string {
	switch {
	case p.Country != "":
		return p.Country
	case p.Creditor.Country() != "":
		return p.Creditor.Country()
	case p.Creditor.ClearingNumber != "":
		return "SE"
	}
	return map[string]string{"SEK": "SE", "NOK": "NO", "DKK": "DK"}[p.Currency]
}

// expiry writes when an unfinished payment expires into the page and the order: the time in the
// shopper's zone, and the time left, counted down by live.js and, without JavaScript, by the
// page's refreshes; the page reloads itself when the time is up, to show that it is.
func (s *Server) expiry(r *http.Request, p *payment.Payment, l *i18n.Localizer, pg *views.Page, o *views.Order) {
	now := s.checkout.Now()
	loc := shopperZone(r, p)
	o.Expires = l.Clock(p.ExpiresAt, now, loc)
	o.ExpiresISO = p.ExpiresAt.UTC().Format(time.RFC3339)
	o.Zone = loc.String()
	left := p.ExpiresAt.Sub(now)
	pg.ExpiresAt = o.ExpiresISO
	pg.TimeLeft = i18n.Remaining(left)
	pg.ExpiresIn = int((left + time.Second - 1) / time.Second)
	if pg.ExpiresIn < 0 {
		pg.ExpiresIn = 0
	}
}
