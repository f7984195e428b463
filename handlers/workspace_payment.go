package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/views"
)

// paymentPage shows one payment: its details, bank status, every event of its log (transitions
// and attempts), its webhook deliveries, and what the person may do with it.
func (s *Server) paymentPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	p, err := s.store.MerchantPayment(r.Context(), c.Merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	events, err := s.store.Events(r.Context(), p.ID)
	if err != nil {
		return err
	}
	hooks, err := s.store.PaymentWebhooks(r.Context(), p.ID)
	if err != nil {
		return err
	}
	l := c.L
	const at = "2006-01-02 15:04:05"
	d := views.WorkspacePayment{Workspace: s.shell(w, r, c, "payments", l.T("ws.payment.title")),
		ID: p.ID, Reference: p.Reference, Amount: l.Money(p.AmountMinor, p.Currency), Status: string(p.Status),
		StatusLabel: l.T("ws.status." + string(p.Status)), Bank: dash(p.BankBIC), Provider: dash(p.Provider),
		BankStatus: dash(p.BankStatus), Failure: p.FailureReason, Created: p.CreatedAt.UTC().Format(at), Updated: p.UpdatedAt.UTC().Format(at),
		CanCancel: can(c.User.Role, permCancel) && !p.Status.Terminal(), CanRedeliver: can(c.User.Role, permRedeliver)}
	if err := s.paymentRefunds(r.Context(), &d, p, l); err != nil {
		return err
	}
	attempts, err := s.checkout.Attempts(r.Context(), p)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		rec := a.Record()
		row := views.AttemptRow{Started: rec.StartedAt.UTC().Format(at), Ended: "…", Bank: rec.BIC + " · " + rec.Provider,
			Outcome: l.T("ws.outcome." + rec.Outcome), Reason: dash(rec.ReasonMessage), Detail: dash(rec.Detail)}
		if !rec.EndedAt.IsZero() {
			row.Ended = rec.EndedAt.UTC().Format("15:04:05")
		}
		if rec.Reason != "" {
			row.Reason += " (" + rec.Reason + ")"
		}
		d.Attempts = append(d.Attempts, row)
	}
	for _, e := range events {
		from := "–"
		if e.From != "" {
			from = l.T("ws.status." + string(e.From))
		}
		d.Events = append(d.Events, views.EventRow{At: e.CreatedAt.UTC().Format(at), From: from, To: l.T("ws.status." + string(e.To)),
			Cause: string(e.Cause), BankStatus: dash(e.BankStatus), Detail: e.Detail})
	}
	for _, h := range hooks {
		row := views.DeliveryRow{ID: h.ID, Type: h.Type, Created: h.CreatedAt.UTC().Format(at), State: h.State(),
			StateLabel: l.T("ws.delivery." + h.State()), Attempts: strconv.Itoa(h.Attempts), Last: "–"}
		if n := len(h.History); n > 0 {
			a := h.History[n-1]
			row.Last = a.AttemptedAt.UTC().Format(at) + " · " + strconv.Itoa(a.StatusCode)
			if a.Error != "" {
				row.Last += " · " + a.Error
			}
		}
		d.Deliveries = append(d.Deliveries, row)
	}
	s.render(w, r, http.StatusOK, views.WorkspacePaymentPage(d))
	return nil
}

// paymentRefunds fills in the account the payment came from, masked as the API's payer_account
// is (or why none is shown), and, for a completed payment, its refunds with their statuses.
func (s *Server) paymentRefunds(ctx context.Context, d *views.WorkspacePayment, p *payment.Payment, l *i18n.Localizer) error {
	switch {
	case p.Debtor != nil:
		d.PayerAccount = p.Debtor.MaskedIBAN()
	case p.Status == payment.StatusCompleted:
		d.PayerAccount = l.T("ws.payment.payer_unknown")
	default:
		d.PayerAccount = "–"
	}
	if p.Status != payment.StatusCompleted {
		return nil // only a completed payment is refunded
	}
	list, err := s.store.RefundsOf(ctx, p.ID)
	if err != nil {
		return err
	}
	d.Refundable = true
	for _, rf := range list {
		d.Refunds = append(d.Refunds, refundRow(l, rf))
	}
	return nil
}

// cancelFromWorkspace cancels a payment through the checkout service, as the API does, and
// goes back to its page with the outcome (post, redirect, get). A payment that can no longer be
// cancelled says so with the API's code.
func (s *Server) cancelFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	p, err := s.store.MerchantPayment(r.Context(), c.Merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	back := "/merchant/payments/" + p.ID
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if _, err := s.checkout.Cancel(ctx, p, payment.CauseMerchant); err != nil {
		ae := toAPIError(err)
		if ae.Status >= 500 {
			return err
		}
		c.flash(w, r, "bad", c.L.T("ws.payment.cancel_failed")+" ("+ae.Code+": "+ae.Detail+")")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	s.audit(r, c, "payment.cancel", p.ID, p.Reference)
	c.flash(w, r, "ok", c.L.T("ws.payment.cancelled"))
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// redeliverFromWorkspace queues a webhook event of the payment for delivery again.
func (s *Server) redeliverFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	p, err := s.store.MerchantPayment(r.Context(), c.Merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	hooks, err := s.store.PaymentWebhooks(r.Context(), p.ID)
	if err != nil {
		return err
	}
	event := r.PathValue("event")
	found := false
	for _, h := range hooks {
		found = found || h.ID == event
	}
	if !found {
		return payment.ErrNotFound
	}
	if err := s.store.Redeliver(r.Context(), c.Merchant.ID, event); err != nil {
		return err
	}
	s.audit(r, c, "webhook.redeliver", event, p.ID)
	c.flash(w, r, "ok", c.L.T("ws.payment.redelivered"))
	http.Redirect(w, r, "/merchant/payments/"+p.ID, http.StatusSeeOther)
	return nil
}
