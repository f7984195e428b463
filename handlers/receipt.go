package handlers

import (
	"net/http"

	"paybybank/payment"
	"paybybank/views"
)

// autoReturnSeconds is how long the result page waits before going back to the shop by itself,
// when the merchant asked for it (static/app.css counts the same five seconds down).
const autoReturnSeconds = 5

// fillReceipt adds the receipt to a result page, and the return to the shop by itself once the
// payment is over, when the merchant asked for it (auto_return).
func (s *Server) fillReceipt(r *http.Request, d *views.Result, p *payment.Payment) {
	ctx := r.Context()
	d.PaymentID = p.ID
	d.When = d.L.DateTime(p.UpdatedAt.In(shopperZone(r, p))) // the shopper's zone, as every time they read
	if p.BankBIC != "" {
		d.Bank = p.BankBIC
		if b, err := s.checkout.Bank(ctx, p.BankBIC); err == nil {
			d.Bank = b.Name
		}
	}
	if p.AutoReturn && d.BackURL != "" && p.Status.Terminal() {
		d.AutoReturn = autoReturnSeconds
		d.GoTo, d.GoAfter = d.BackURL, autoReturnSeconds
	}
}

// sandboxLanguage hands the sandbox's pages (the fake banks, the simulated BankID app), which
// know only the browser, the language the shopper chose in the checkout as the browser's first
// choice: a demo stays in one language from the checkout to the bank and back.
func (s *Server) sandboxLanguage(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie(sessionName); err == nil {
			if sess, err := s.sessions.Get(r, sessionName); err == nil {
				if lang := latestLang(sess); lang != "" {
					r.Header.Set("Accept-Language", lang+","+r.Header.Get("Accept-Language"))
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}
