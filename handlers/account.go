package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"paybybank/checkout"
	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/views"
)

// The shopper's own account, asked for between the bank choice and SCA when the bank needs it.
// An account the shopper asks us to remember is kept server-side in their session, per bank.

func savedKey(bic string) string { return "acct:" + bic }

func (s *Server) savedAccount(r *http.Request, bic string) (*payment.Account, bool) {
	sess, _ := s.sessions.Get(r, sessionName)
	raw, _ := sess.Values[savedKey(bic)].(string)
	if raw == "" {
		return nil, false
	}
	var a payment.Account
	if json.Unmarshal([]byte(raw), &a) != nil {
		return nil, false
	}
	return &a, true
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	if sess, err := s.sessions.Get(r, sessionName); err == nil && takeLang(r, sess, p.Token) {
		if err := sess.Save(r, w); err != nil {
			return err
		}
	}
	// A form the shopper sent with an error comes back here, by a GET, with what they typed.
	var fe *payment.FieldError
	var values map[string]string
	if f, ok := s.takeFlash(w, r, p.Token); ok && f.Field != "" {
		fe, values = &payment.FieldError{Field: f.Field, Message: f.Message, Code: f.Code, Args: f.Args}, f.Values
	}
	return s.renderAccount(w, r, p, r.URL.Query().Get("bank"), fe, values)
}

// accountError sends the shopper back to the account question with the field in error and what
// they typed (post/redirect/get).
func (s *Server) accountError(w http.ResponseWriter, r *http.Request, p *payment.Payment, bic string, fe *payment.FieldError, values map[string]string) error {
	return s.redirectWithFlash(w, r, p.Token, "/checkout/"+p.Token+"/account?bank="+url.QueryEscape(bic),
		flash{Key: "account.invalid", Field: fe.Field, Message: fe.Message, Code: fe.Code, Args: fe.Args, Values: values})
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, p *payment.Payment, bic string, fe *payment.FieldError, values map[string]string) error {
	if p.Status != payment.StatusOpen {
		http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
		return nil
	}
	b, err := s.checkout.Bank(r.Context(), bic)
	if err != nil {
		return payment.ErrNotFound
	}
	m, err := s.store.Merchant(r.Context(), p.MerchantID)
	if err != nil {
		return err
	}
	_, csrf := s.session(r)
	l := s.localizer(r, p)
	pg, order := s.base(r, p, m, l)
	base := "/checkout/" + p.Token + "/account"
	pg.Path, pg.Keep = base, [][2]string{{"bank", b.Key()}} // the language switcher stays on this page
	d := views.AccountForm{Page: pg, Order: order, Heading: strings.Replace(l.T("account.heading"), "%s", b.Name, 1), BIC: b.Key(),
		Country: b.Country, Action: base, UseURL: base + "/use", ForgetURL: base + "/forget", CSRF: csrf, Values: values,
		ChangeURL: "/checkout/" + p.Token + "?change=bank", ForRefund: p.Refundable && !b.NeedsDebtor()}
	if a, ok := s.savedAccount(r, b.Key()); ok {
		d.Saved = append(d.Saved, views.SavedAccount{Key: b.Key(), Masked: a.Masked()})
	}
	if _, ok := s.checkout.ProviderReadsAccounts(b.Provider); ok {
		d.FetchURL = base + "/fetch"
	}
	if list, err := s.checkout.ConsentAccounts(r.Context(), p, b.Key()); err == nil {
		for i, a := range list {
			acct := payment.Account{IBAN: a.IBAN, BBAN: a.BBAN}
			d.Fetched = append(d.Fetched, views.FetchedAccount{Index: i, Name: a.Name, Masked: acct.Masked(), Currency: a.Currency})
		}
		d.PickURL = base + "/pick"
	} else if act, err := s.store.ActiveAuthorisation(r.Context(), p.ID); err == nil && checkout.IsConsent(act) && act.SCAStatus == payment.SCAFailed && fe == nil {
		d.Error = l.T("account.fetch_failed")
	}
	if fe != nil {
		d.Field, d.Error = fe.Field, fieldErrorText(l, fe)
	}
	s.render(w, r, http.StatusOK, views.AccountPage(d))
	return nil
}

// fieldErrorText is a field error as the shopper reads it: the whole sentence of the error's
// code in their language, or, for an error without one, the form's general request.
func fieldErrorText(l *i18n.Localizer, fe *payment.FieldError) string {
	if fe.Code == "" {
		return l.T("account.invalid")
	}
	text := l.T("field." + fe.Code)
	for name, v := range fe.Args {
		text = strings.ReplaceAll(text, "{"+name+"}", v)
	}
	return text
}

// submitAccount validates a typed account field by field, remembers it if asked, and goes on to the bank.
func (s *Server) submitAccount(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	bic := r.PostFormValue("bank")
	in := payment.DebtorInput{IBAN: r.PostFormValue("iban"), Country: r.PostFormValue("country"),
		ClearingNumber: r.PostFormValue("clearing_number"), RegistrationNumber: r.PostFormValue("registration_number"),
		AccountNumber: r.PostFormValue("account_number")}
	a, err := in.Parse()
	var fe *payment.FieldError
	if errors.As(err, &fe) {
		values := map[string]string{"iban": in.IBAN, "clearing_number": in.ClearingNumber, "registration_number": in.RegistrationNumber, "account_number": in.AccountNumber}
		return s.accountError(w, r, p, bic, fe, values)
	} else if err != nil {
		return err
	}
	if err := s.checkout.SetDebtor(r.Context(), p, a); err != nil {
		return err
	}
	if r.PostFormValue("remember") == "1" {
		sess, _ := s.sessions.Get(r, sessionName)
		raw, _ := json.Marshal(a)
		sess.Values[savedKey(bic)] = string(raw)
		if err := sess.Save(r, w); err != nil {
			return err
		}
	}
	return s.startBank(w, r, p, bic)
}

func (s *Server) useSavedAccount(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	bic := r.PostFormValue("bank")
	a, ok := s.savedAccount(r, bic)
	if !ok {
		http.Redirect(w, r, "/checkout/"+p.Token+"/account?bank="+url.QueryEscape(bic), http.StatusSeeOther)
		return nil
	}
	if err := s.checkout.SetDebtor(r.Context(), p, *a); err != nil {
		return err
	}
	return s.startBank(w, r, p, bic)
}

func (s *Server) forgetAccount(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	bic := r.PostFormValue("bank")
	sess, _ := s.sessions.Get(r, sessionName)
	delete(sess.Values, savedKey(bic))
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/checkout/"+p.Token+"/account?bank="+url.QueryEscape(bic), http.StatusSeeOther)
	return nil
}

// fetchAccounts starts "Fetch my accounts": a consent at the shopper's bank, approved by the same
// SCA as a payment.
func (s *Server) fetchAccounts(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 45*time.Second)
	defer cancel()
	a, err := s.checkout.StartConsent(ctx, p, r.PostFormValue("bank"), s.psuOf(r), isMobile(r))
	if err != nil {
		return err
	}
	s.sendToSCA(w, r, p, a)
	return nil
}

// pickAccount pays from one of the accounts the bank listed.
func (s *Server) pickAccount(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	bic := r.PostFormValue("bank")
	list, err := s.checkout.ConsentAccounts(r.Context(), p, bic)
	if errors.Is(err, payment.ErrNotFound) {
		list = nil // no accounts read at this bank (any more): nothing to pick from
	} else if err != nil {
		return err
	}
	i, err := strconv.Atoi(r.PostFormValue("account"))
	if err != nil || i < 0 || i >= len(list) {
		return s.accountError(w, r, p, bic, &payment.FieldError{Field: "account", Message: "choose one of your accounts", Code: "choose"}, nil)
	}
	a := payment.Account{IBAN: list[i].IBAN, BBAN: list[i].BBAN}
	if a.IBAN != "" {
		a.Country = a.IBAN[:2]
	}
	if err := s.checkout.SetDebtor(r.Context(), p, a); err != nil {
		return err
	}
	return s.startBank(w, r, p, bic)
}
