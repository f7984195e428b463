package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"paybybank/checkout"
	"paybybank/payment"
	"paybybank/views"
)

// linkCurrencies are the currencies the links form offers: those of the checkout's banks.
var linkCurrencies = []string{"SEK", "EUR", "NOK", "DKK"}

// linkExpiries are the expiries the links form offers, in seconds; 0 is a link that does not expire.
var linkExpiries = []struct {
	seconds int
	key     string
}{{0, "ws.links.never"}, {3600, "ws.links.hour"}, {86400, "ws.links.day"}, {7 * 86400, "ws.links.week"}, {30 * 86400, "ws.links.month"}}

// linksPage lists the merchant's payment links, 50 a page, with their use; people who may manage
// links also get the form to create one and "Deactivate" on each active link. ?made= names a link
// just created, shown with its URL and QR code (post, redirect, get).
func (s *Server) linksPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	q := r.URL.Query()
	list, next, err := s.store.Links(r.Context(), c.Merchant.ID, q.Get("after"), 50)
	if errors.Is(err, payment.ErrNotFound) {
		list, next, err = s.store.Links(r.Context(), c.Merchant.ID, "", 50)
	}
	if err != nil {
		return err
	}
	l := c.L
	d := views.WorkspaceLinks{Workspace: s.shell(w, r, c, "links", l.T("ws.nav.links")), Currencies: linkCurrencies,
		CanManage: can(c.User.Role, permLinks)}
	for _, e := range linkExpiries {
		d.Expiries = append(d.Expiries, views.Option{Value: strconv.Itoa(e.seconds), Label: l.T(e.key)})
	}
	for _, k := range list {
		d.Links = append(d.Links, s.linkRow(c, k))
	}
	if next != "" {
		d.Next = "/merchant/links?after=" + url.QueryEscape(next)
	}
	if id := q.Get("made"); id != "" && d.CanManage {
		if k, err := s.store.Link(r.Context(), c.Merchant.ID, id); err == nil {
			row := s.linkRow(c, k)
			d.Made = &row
		}
	}
	s.render(w, r, http.StatusOK, views.WorkspaceLinksPage(d))
	return nil
}

func (s *Server) linkRow(c *wsRequest, k *payment.Link) views.LinkRow {
	l := c.L
	now := s.checkout.Now()
	state := k.State(now)
	row := views.LinkRow{ID: k.ID, URL: s.cfg.PublicURL + k.URL, QR: s.cfg.PublicURL + k.URL + "/qr.png", Reference: k.Reference,
		Amount: k.Amount + " " + k.Currency, Mode: l.T("ws.links.once"), Created: k.CreatedAt.UTC().Format("2006-01-02 15:04"),
		Expires: l.T("ws.links.never"), State: state, StateLabel: l.T("ws.links.state." + state),
		Paid: k.Use.Paid, Open: k.Use.Open, Closed: k.Use.Closed, Active: k.DeactivatedAt.IsZero()}
	if minor, err := payment.ParseAmount(k.Amount, k.Currency); err == nil {
		row.Amount = l.Money(minor, k.Currency)
	}
	if k.PerVisit {
		row.Mode = l.T("ws.links.per_visit")
	}
	if !k.ExpiresAt.IsZero() {
		row.Expires = k.ExpiresAt.UTC().Format("2006-01-02 15:04")
	}
	return row
}

// createLinkFromWorkspace makes a payment link as the API's POST /api/v1/payment-links does and
// shows it with its QR code; a form the checkout refuses comes back with the reason.
func (s *Server) createLinkFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	t := checkout.LinkTerms{Amount: strings.TrimSpace(r.PostFormValue("amount")), Currency: r.PostFormValue("currency"),
		Reference: strings.TrimSpace(r.PostFormValue("reference")), PerVisit: r.PostFormValue("mode") == "visit"}
	secs, err := strconv.Atoi(r.PostFormValue("expires"))
	ok := err == nil
	if ok {
		ok = false
		for _, e := range linkExpiries {
			ok = ok || e.seconds == secs
		}
	}
	if !ok {
		c.flash(w, r, "bad", c.L.T("ws.links.invalid")+" (expires)")
		http.Redirect(w, r, "/merchant/links", http.StatusSeeOther)
		return nil
	}
	if secs > 0 {
		t.ExpiresAt = s.checkout.Now().Unix() + int64(secs)
	}
	k, err := s.checkout.MakeLink(r.Context(), c.Merchant, t)
	var fe *payment.FieldError
	if errors.As(err, &fe) {
		c.flash(w, r, "bad", c.L.T("ws.links.invalid")+" ("+fe.Field+": "+fe.Message+")")
		http.Redirect(w, r, "/merchant/links", http.StatusSeeOther)
		return nil
	} else if err != nil {
		return err
	}
	s.audit(r, c, "link.create", k.ID, k.Amount+" "+k.Currency+" · "+k.Reference)
	c.flash(w, r, "ok", c.L.T("ws.links.created"))
	http.Redirect(w, r, "/merchant/links?made="+url.QueryEscape(k.ID), http.StatusSeeOther)
	return nil
}

// deactivateLinkFromWorkspace turns a link off for good, as the API's deactivate does.
func (s *Server) deactivateLinkFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	k, err := s.store.DeactivateLink(r.Context(), c.Merchant.ID, r.PathValue("id"))
	if err != nil {
		return err // ErrNotFound for another merchant's link: a 404 page
	}
	s.audit(r, c, "link.deactivate", k.ID, k.Reference)
	c.flash(w, r, "ok", c.L.T("ws.links.deactivated"))
	http.Redirect(w, r, "/merchant/links", http.StatusSeeOther)
	return nil
}
