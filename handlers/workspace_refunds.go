package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"paybybank/checkout"
	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/views"
)

// sittingKey is the session value naming the refund orders a person made with their last
// "Authorise selected", in the order to authorise them: the refunds page sends them on from one
// to the next when the bank takes one refund per authorisation.
const sittingKey = "refund_orders"

// maxRefundSelection bounds one "Authorise selected": more would not fit one bank authorisation
// (bulk) or one sitting (in turn).
const maxRefundSelection = 100

// refundsPage is "Refunds to authorise": the merchant's refunds waiting for a person to authorise
// them at the merchant's bank, with the account they are paid from, and the refunds on their way
// or ended. ?order= is where a person lands back from the bank (checkout.RefundsPage): the page
// then shows their sitting and sends them on to its next authorisation.
func (s *Server) refundsPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	ctx, l := r.Context(), c.L
	d := views.WorkspaceRefunds{Workspace: s.shell(w, r, c, "refunds", l.T("ws.refunds.title"))}
	acct, err := s.store.RefundAccount(ctx, c.Merchant.ID)
	switch {
	case errors.Is(err, payment.ErrNoRefundAccount):
		d.NoAccount = true
	case err != nil:
		return err
	default:
		d.From = refundAccountText(acct)
		if b, err := s.checkout.Bank(ctx, acct.BIC); err == nil {
			d.From += " · " + b.Name
		}
		d.Bulk = s.checkout.BulkAt(ctx, acct.BIC)
	}
	awaiting, err := s.store.RefundsAwaiting(ctx, c.Merchant.ID)
	if err != nil {
		return err
	}
	for _, rf := range awaiting {
		d.Awaiting = append(d.Awaiting, refundRow(l, rf))
	}
	if order := r.URL.Query().Get("order"); order != "" {
		if d.Sitting, err = s.sitting(r, c, order); err != nil {
			return err
		}
	}
	recent, err := s.store.RecentRefunds(ctx, c.Merchant.ID, 20)
	if err != nil {
		return err
	}
	for _, rf := range recent {
		d.Recent = append(d.Recent, refundRow(l, rf))
	}
	s.render(w, r, http.StatusOK, views.WorkspaceRefundsPage(d))
	return nil
}

// sitting draws the person's last authorisation, seen from the order they come back from: the
// refunds of its orders with their status, and where to go next. An order that is not in this
// browser's sitting (another person's, another browser's) is shown alone; one of another
// merchant is not found.
func (s *Server) sitting(r *http.Request, c *wsRequest, order string) (*views.RefundSitting, error) {
	ctx := r.Context()
	if _, err := s.store.RefundOrder(ctx, c.Merchant.ID, order); err != nil {
		return nil, err
	}
	ids := []string{order}
	if v, _ := c.sess.Values[sittingKey].(string); v != "" && slices.Contains(strings.Split(v, ","), order) {
		ids = strings.Split(v, ",")
	}
	out := &views.RefundSitting{Done: true}
	for i, id := range ids {
		o, err := s.store.RefundOrder(ctx, c.Merchant.ID, id)
		if errors.Is(err, payment.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		list, err := s.store.RefundsInBatch(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, rf := range list {
			out.Refunds = append(out.Refunds, refundRow(c.L, rf))
		}
		if o.Status.Terminal() || o.Status == payment.StatusProcessing || len(list) == 0 {
			continue
		}
		out.Done = false
		switch {
		case o.Status == payment.StatusAuthorising && out.Continue == "" && out.Next == "":
			out.Continue = "/checkout/" + o.Token // left at the bank: back to where it stands
		case o.Status == payment.StatusOpen && out.Continue == "" && out.Next == "":
			out.Next = "/checkout/" + o.Token
			out.NextLabel = strings.Replace(strings.Replace(c.L.T("ws.refunds.next"), "%d", strconv.Itoa(i+1), 1), "%d", strconv.Itoa(len(ids)), 1)
		}
	}
	return out, nil
}

// authoriseRefunds starts the authorisation of the selected refunds at the merchant's bank
// (checkout.AuthoriseRefunds: one order for all where the bank takes bulk payments, else one
// each) and sends the person to the first order's checkout page, which takes them through their
// bank as a shopper goes through theirs; the bank sends them back to the refunds page. A
// selection the checkout refuses changes nothing and comes back with the reason.
func (s *Server) authoriseRefunds(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	ids := r.PostForm["refund"]
	if len(ids) == 0 {
		return s.refundsRefused(w, r, c, c.L.T("ws.refunds.none_selected"))
	}
	if len(ids) > maxRefundSelection {
		return s.refundsRefused(w, r, c, c.L.T("ws.refunds.refused")+": at most "+strconv.Itoa(maxRefundSelection))
	}
	if r.PostForm.Get("action") == "cancel" {
		return s.cancelRefunds(w, r, c, ids)
	}
	orders, err := s.checkout.AuthoriseRefunds(r.Context(), c.Merchant, ids)
	var fe *payment.FieldError
	switch {
	case err == nil:
	case len(orders) > 0:
		// Some orders were made before one was refused (in turn): they stand, the rest waits.
		c.flash(w, r, "bad", c.L.T("ws.refunds.refused")+": "+err.Error())
	case errors.Is(err, checkout.ErrRefundNotAwaiting), errors.Is(err, payment.ErrNotFound):
		return s.refundsRefused(w, r, c, c.L.T("ws.refunds.taken"))
	case errors.Is(err, payment.ErrNoRefundAccount):
		return s.refundsRefused(w, r, c, c.L.T("ws.refunds.no_account"))
	case errors.As(err, &fe):
		return s.refundsRefused(w, r, c, c.L.T("ws.refunds.refused")+": "+fe.Message)
	default:
		return err
	}
	var orderIDs, refundIDs []string
	for _, o := range orders {
		orderIDs = append(orderIDs, o.ID)
		refundIDs = append(refundIDs, o.RefundIDs()...)
	}
	c.sess.Values[sittingKey] = strings.Join(orderIDs, ",")
	if err := c.sess.Save(r, w); err != nil {
		return err
	}
	s.audit(r, c, "refund.authorise", strings.Join(orderIDs, ","), strings.Join(refundIDs, ","))
	http.Redirect(w, r, "/checkout/"+orders[0].Token, http.StatusSeeOther)
	return nil
}

// cancelRefunds cancels the selected refunds nobody has started to authorise; their amounts may be
// refunded again. All or nothing is refused up front: a refund of another merchant, or one already
// on its way, changes nothing and comes back with the reason; a refund taken by another person
// meanwhile (the conditional transition) is said the same way.
func (s *Server) cancelRefunds(w http.ResponseWriter, r *http.Request, c *wsRequest, ids []string) error {
	for _, id := range ids {
		rf, err := s.store.MerchantRefund(r.Context(), c.Merchant.ID, id)
		if errors.Is(err, payment.ErrNotFound) || (err == nil && rf.Status != payment.RefundAwaitingAuthorisation) {
			return s.refundsRefused(w, r, c, c.L.T("ws.refunds.taken"))
		} else if err != nil {
			return err
		}
	}
	for _, id := range ids {
		_, err := s.store.TransitionRefund(r.Context(), id, payment.RefundAwaitingAuthorisation, payment.RefundCancelled, "cancelled in the workspace", "")
		if errors.Is(err, payment.ErrConflict) {
			return s.refundsRefused(w, r, c, c.L.T("ws.refunds.taken"))
		} else if err != nil {
			return err
		}
	}
	s.audit(r, c, "refund.cancel", "", strings.Join(ids, ","))
	c.flash(w, r, "ok", c.L.T("ws.refunds.cancelled"))
	http.Redirect(w, r, checkout.RefundsPage, http.StatusSeeOther)
	return nil
}

// refundsRefused sends the person back to the refunds page with why nothing was done.
func (s *Server) refundsRefused(w http.ResponseWriter, r *http.Request, c *wsRequest, why string) error {
	c.flash(w, r, "bad", why)
	http.Redirect(w, r, checkout.RefundsPage, http.StatusSeeOther)
	return nil
}

// refundRow is a refund as the workspace lists it, its payee's account masked.
func refundRow(l *i18n.Localizer, rf *payment.Refund) views.RefundRow {
	row := views.RefundRow{ID: rf.ID, PaymentID: rf.PaymentID, Created: rf.CreatedAt.UTC().Format("2006-01-02 15:04"), Reference: rf.Reference,
		Payee: rf.PayeeName, Amount: l.Money(rf.AmountMinor, rf.Currency), Status: string(rf.Status), StatusLabel: l.T("ws.refund." + string(rf.Status))}
	if rf.Payee.IBAN != "" || rf.Payee.BBAN != "" {
		row.Account = rf.Payee.MaskedIBAN()
	}
	if row.Payee == "" {
		row.Payee = "–"
	}
	return row
}

// refundAccountText names the account refunds are paid from, masked as every account on screen.
func refundAccountText(a *payment.RefundAccount) string {
	t := a.Account.MaskedIBAN()
	if a.Name != "" {
		t = a.Name + " · " + t
	}
	return t
}

// refundOrderView is what a refund order's checkout pages say is being authorised: from which
// account, how many refunds, and each refund's payee and amount (the total is the order's).
func (s *Server) refundOrderView(r *http.Request, p *payment.Payment, l *i18n.Localizer) *views.RefundOrder {
	ctx := r.Context()
	v := &views.RefundOrder{}
	if p.Debtor != nil {
		v.From = p.Debtor.MaskedIBAN()
	}
	if acct, err := s.store.RefundAccount(ctx, p.MerchantID); err == nil {
		v.From = refundAccountText(acct)
	}
	for _, id := range p.RefundIDs() {
		rf, err := s.store.MerchantRefund(ctx, p.MerchantID, id)
		if err != nil {
			continue // the order carries it; a page draws what it can read
		}
		line := views.RefundLine{Payee: rf.PayeeName, Reference: rf.Reference, Amount: l.Money(rf.AmountMinor, rf.Currency)}
		if rf.Payee.IBAN != "" || rf.Payee.BBAN != "" {
			line.Account = rf.Payee.MaskedIBAN()
		}
		if line.Payee == "" {
			line.Payee = "–"
		}
		v.Lines = append(v.Lines, line)
	}
	v.Count = len(p.RefundIDs())
	return v
}
