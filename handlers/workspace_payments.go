package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"paybybank/payment"
	"paybybank/views"
)

// wsFilter is the payments list's search and filters as the URL holds them, so that a page of
// results, its next pages and its export can be bookmarked and shared.
type wsFilter struct {
	Query, Status, From, To, Bank, Provider string
}

func parseWSFilter(q url.Values) wsFilter {
	f := wsFilter{Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), From: q.Get("from"), To: q.Get("to"),
		Bank: strings.TrimSpace(q.Get("bank")), Provider: q.Get("provider")}
	if !payment.Status(f.Status).Valid() {
		f.Status = ""
	}
	return f
}

// list is the store's filter: dates are whole days in UTC, "to" included.
func (f wsFilter) list() payment.ListFilter {
	lf := payment.ListFilter{Status: payment.Status(f.Status), Query: f.Query, BankBIC: strings.ToUpper(f.Bank), Provider: f.Provider}
	if t, err := time.Parse(time.DateOnly, f.From); err == nil {
		lf.CreatedAfter = t
	}
	if t, err := time.Parse(time.DateOnly, f.To); err == nil {
		lf.CreatedBefore = t.Add(24 * time.Hour)
	}
	return lf
}

// values is the filter as a query string's values, empty ones left out.
func (f wsFilter) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"q": f.Query, "status": f.Status, "from": f.From, "to": f.To, "bank": f.Bank, "provider": f.Provider} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// paymentsPage lists the merchant's payments, 50 a page, with the search and filters.
func (s *Server) paymentsPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	f := parseWSFilter(r.URL.Query())
	lf := f.list()
	lf.Cursor, lf.Limit = r.URL.Query().Get("cursor"), 50
	list, next, err := s.store.Payments(r.Context(), c.Merchant.ID, lf)
	if errors.Is(err, payment.ErrNotFound) { // a cursor that is not this merchant's: the first page
		lf.Cursor = ""
		list, next, err = s.store.Payments(r.Context(), c.Merchant.ID, lf)
	}
	if err != nil {
		return err
	}
	bics, providers, err := s.store.PaymentFacets(r.Context(), c.Merchant.ID)
	if err != nil {
		return err
	}
	l := c.L
	d := views.WorkspacePayments{Workspace: s.shell(w, r, c, "payments", l.T("ws.nav.payments")),
		Query: f.Query, Status: f.Status, From: f.From, To: f.To, Bank: f.Bank, Provider: f.Provider, Banks: bics, Providers: providers,
		Filtered: len(f.values()) > 0}
	for _, st := range []payment.Status{payment.StatusOpen, payment.StatusAuthorising, payment.StatusProcessing, payment.StatusCompleted,
		payment.StatusFailed, payment.StatusCancelled, payment.StatusExpired} {
		d.Statuses = append(d.Statuses, views.Option{Value: string(st), Label: l.T("ws.status." + string(st))})
	}
	for _, p := range list {
		d.Rows = append(d.Rows, views.PaymentRow{ID: p.ID, Reference: p.Reference, Amount: l.Money(p.AmountMinor, p.Currency),
			Status: string(p.Status), StatusLabel: l.T("ws.status." + string(p.Status)), Bank: dash(p.BankBIC), Provider: dash(p.Provider),
			Created: p.CreatedAt.UTC().Format("2006-01-02 15:04")})
	}
	q := f.values()
	d.Export = "/merchant/payments.csv"
	if len(q) > 0 {
		d.Export += "?" + q.Encode()
	}
	if next != "" {
		q.Set("cursor", next)
		d.Next = "/merchant?" + q.Encode()
	}
	if lf.Cursor != "" {
		d.First = "/merchant"
		if fq := f.values(); len(fq) > 0 {
			d.First += "?" + fq.Encode()
		}
	}
	s.render(w, r, http.StatusOK, views.WorkspacePaymentsPage(d))
	return nil
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
