package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/views"
)

// The merchant's view: sign in with an API key (kept only as the merchant id in the
// server-side session), then a list of recent payments.

func (s *Server) merchantPage(l *i18n.Localizer) views.Page {
	return views.Page{L: l, Title: "paybybank · merchant", MerchantName: "paybybank", Sandbox: s.cfg.Sandbox, Wide: true}
}

func (s *Server) merchantHome(w http.ResponseWriter, r *http.Request) error {
	sess, csrf := s.session(r)
	l := i18n.New("en", "")
	mid, _ := sess.Values["merchant_id"].(string)
	if mid == "" {
		sess.Save(r, w)
		s.render(w, r, http.StatusOK, views.MerchantLoginPage(views.MerchantLogin{Page: s.merchantPage(l), CSRF: csrf}))
		return nil
	}
	m, err := s.store.Merchant(r.Context(), mid)
	if err != nil {
		return err
	}
	f := payment.ListFilter{Status: payment.Status(r.URL.Query().Get("status")), Cursor: r.URL.Query().Get("cursor"), Limit: 50}
	if f.Status != "" && !f.Status.Valid() {
		f.Status = ""
	}
	list, next, err := s.store.Payments(r.Context(), m.ID, f)
	if err != nil && !errors.Is(err, payment.ErrNotFound) {
		return err
	}
	ids := make([]string, 0, len(list))
	for _, p := range list {
		ids = append(ids, p.ID)
	}
	hooks, err := s.store.WebhookStates(r.Context(), ids)
	if err != nil {
		return err
	}
	pg := s.merchantPage(l)
	pg.MerchantName = m.ShownName()
	d := views.MerchantHome{Page: pg, CSRF: csrf, Status: string(f.Status)}
	for _, p := range list {
		bank := "–"
		if p.BankBIC != "" {
			bank = p.BankBIC
		}
		hook := hooks[p.ID]
		if hook == "" {
			hook = "–"
		}
		d.Rows = append(d.Rows, views.MerchantRow{ID: p.ID, Reference: p.Reference, Amount: l.Money(p.AmountMinor, p.Currency),
			Status: string(p.Status), Bank: bank, Webhook: hook, Created: p.CreatedAt.UTC().Format("2006-01-02 15:04")})
	}
	if next != "" {
		q := url.Values{"cursor": {next}}
		if f.Status != "" {
			q.Set("status", string(f.Status))
		}
		d.Next = "/merchant?" + q.Encode()
	}
	sess.Save(r, w)
	s.render(w, r, http.StatusOK, views.MerchantHomePage(d))
	return nil
}

func (s *Server) merchantLogin(w http.ResponseWriter, r *http.Request) error {
	m, err := s.store.MerchantByAPIKey(r.Context(), r.PostFormValue("key"))
	if errors.Is(err, payment.ErrNotFound) {
		_, csrf := s.session(r)
		s.render(w, r, http.StatusUnauthorized, views.MerchantLoginPage(views.MerchantLogin{Page: s.merchantPage(i18n.New("en", "")),
			CSRF: csrf, Error: "That API key is not valid."}))
		return nil
	} else if err != nil {
		return err
	}
	sess, _ := s.sessions.Get(r, sessionName)
	sess.ID = "" // a new session id on sign-in: no fixation
	sess.Values["merchant_id"] = m.ID
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}

func (s *Server) merchantLogout(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.sessions.Get(r, sessionName)
	delete(sess.Values, "merchant_id")
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}
