package handlers

import (
	"context"

	"paybybank/payment"
	"paybybank/views"
)

// autoReturnSeconds is how long the result page waits before going back to the shop by itself,
// when the merchant asked for it (static/app.css counts the same five seconds down).
const autoReturnSeconds = 5

// fillReceipt adds the receipt to a result page, and the return to the shop by itself once the
// payment is over, when the merchant asked for it (auto_return).
func (s *Server) fillReceipt(ctx context.Context, d *views.Result, p *payment.Payment) {
	d.PaymentID = p.ID
	d.When = d.L.DateTime(p.UpdatedAt.UTC())
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
