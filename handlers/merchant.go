package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gorilla/sessions"

	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/views"
)

// The merchant's view: sign in with an API key (the server-side session keeps the merchant id
// and the key's id, never the key), then a list of recent payments and of the merchant's keys.
// The session lasts only while the key it signed in with is live: revoking the key signs it out.

func (s *Server) merchantPage(l *i18n.Localizer) views.Page {
	return views.Page{L: l, Title: "paybybank · merchant", MerchantName: "paybybank", Sandbox: s.cfg.Sandbox, Wide: true}
}

// signedIn returns the session's merchant id and key id while that key is live. A session whose
// key was revoked (or one from before keys were remembered) is signed out here, and ended says so.
func (s *Server) signedIn(r *http.Request, sess *sessions.Session) (mid, keyID string, ended bool, err error) {
	mid, _ = sess.Values["merchant_id"].(string)
	keyID, _ = sess.Values["api_key_id"].(string)
	if mid == "" {
		return "", "", false, nil
	}
	k, err := s.store.APIKey(r.Context(), keyID)
	if err != nil && !errors.Is(err, payment.ErrNotFound) {
		return "", "", false, err
	}
	if err != nil || k.Revoked() || k.MerchantID != mid {
		delete(sess.Values, "merchant_id")
		delete(sess.Values, "api_key_id")
		return "", "", true, nil
	}
	return mid, keyID, false, nil
}

func (s *Server) merchantHome(w http.ResponseWriter, r *http.Request) error {
	sess, csrf := s.session(r)
	l := i18n.New("en", "")
	mid, keyID, ended, err := s.signedIn(r, sess)
	if err != nil {
		return err
	}
	if mid == "" {
		sess.Save(r, w)
		d := views.MerchantLogin{Page: s.merchantPage(l), CSRF: csrf}
		if ended {
			d.Error = "You were signed out: the API key this session used has been revoked."
		}
		s.render(w, r, http.StatusOK, views.MerchantLoginPage(d))
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
	keys, err := s.store.APIKeys(r.Context(), m.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		mk := views.MerchantKey{ID: k.ID, Prefix: k.Prefix(), Created: k.CreatedAt.UTC().Format("2006-01-02 15:04"), Current: k.ID == keyID}
		if k.Revoked() {
			mk.Revoked = k.RevokedAt.UTC().Format("2006-01-02 15:04")
		}
		d.Keys = append(d.Keys, mk)
	}
	sess.Save(r, w)
	s.render(w, r, http.StatusOK, views.MerchantHomePage(d))
	return nil
}

// revokeKey revokes one of the signed-in merchant's API keys and goes back to the list (post,
// redirect, get). Revoking the session's own key ends the session on that next page.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.sessions.Get(r, sessionName)
	mid, _, _, err := s.signedIn(r, sess)
	if err != nil {
		return err
	}
	if mid == "" {
		http.Redirect(w, r, "/merchant", http.StatusSeeOther)
		return nil
	}
	if err := s.store.RevokeAPIKey(r.Context(), mid, r.PathValue("id")); err != nil {
		return err // ErrNotFound for another merchant's key: a 404 page
	}
	s.logger.InfoContext(r.Context(), "api key revoked", slog.String("request_id", requestIDFrom(r.Context())),
		slog.String("merchant_id", mid), slog.String("key_id", r.PathValue("id")))
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}

func (s *Server) merchantLogin(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.LiveAPIKey(r.Context(), r.PostFormValue("key"))
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
	sess.Values["merchant_id"] = k.MerchantID
	sess.Values["api_key_id"] = k.ID // the session ends when this key is revoked
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}

func (s *Server) merchantLogout(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.sessions.Get(r, sessionName)
	delete(sess.Values, "merchant_id")
	delete(sess.Values, "api_key_id")
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}
