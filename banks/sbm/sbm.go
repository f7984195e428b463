// Package sbm connects paybybank to Sparebanken Møre and the other Norwegian savings banks on its
// shared NextGenPSD2 platform (one base URL per bank). Every request goes through banks.Transport,
// signed with HTTP Signatures (package httpsig: Digest, Signature, TPP-Signature-Certificate) on
// every try; SCA is a redirect to the bank (BankID Norway). See protocols/berlin-group-banks.md
// and seed 004. Its fake is sbmtest.
package sbm

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"paybybank/banks"
	"paybybank/banks/httpsig"
)

// Bank is one savings bank on the platform.
type Bank struct {
	BIC, Name, BaseURL string
}

// Config is what the connector needs.
type Config struct {
	Banks []Bank
	// Cert and Key are the QSealC that signs every request.
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
	// Instant uses instant-norwegian-domestic-credit-transfers-straks for NOK payments.
	Instant bool
	// HTTPClient, Logger, MaxAttempts and Backoff are the transport's (zero: its defaults).
	HTTPClient  *http.Client
	Logger      *slog.Logger
	MaxAttempts int
	Backoff     time.Duration
	// Now is the clock the Date header is signed with (default time.Now).
	Now func() time.Time
	// OnCall is told the outcome of every bank call (banks.Transport.OnCall); nil: nobody.
	OnCall func(banks.CallResult)
}

// Client is the provider.
type Client struct {
	cfg Config
	t   *banks.Transport
}

var _ banks.Provider = (*Client)(nil)

// New returns a connector. Its transport has no base URL: each bank has its own, and every call
// carries an absolute URL on it.
func New(cfg Config) *Client {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg}
	c.t = &banks.Transport{OnCall: cfg.OnCall, Provider: "sbm", Client: cfg.HTTPClient, Logger: cfg.Logger, MaxAttempts: cfg.MaxAttempts,
		Backoff: cfg.Backoff, Now: cfg.Now, Sign: c.sign, ParseError: parseError}
	return c
}

// sign runs on every try, after the transport set that try's X-Request-ID, so each retry is
// signed afresh with a current Date.
func (c *Client) sign(req *http.Request, body []byte) error {
	return httpsig.Sign(req, body, c.cfg.Key, c.cfg.Cert, c.cfg.Now())
}

// Name is "sbm".
func (c *Client) Name() string { return "sbm" }

// Banks lists the configured banks.
func (c *Client) Banks(ctx context.Context) ([]banks.Bank, error) {
	var out []banks.Bank
	for _, b := range c.cfg.Banks {
		out = append(out, banks.Bank{BIC: b.BIC, Name: b.Name, Country: "NO", Provider: "sbm", Currencies: []string{"NOK", "EUR", "SEK", "DKK", "USD", "GBP"},
			Approach: banks.Redirect, DebtorAccount: "optional", ReferenceLimits: map[string]int{"NOK": 140, "EUR": 140, "SEK": 140, "DKK": 140, "USD": 140, "GBP": 140},
			Products: checkoutProducts})
	}
	return out, nil
}

// checkoutProducts are the platform's products a shopper's checkout offers: a Norwegian domestic
// payment in NOK to a Norwegian account (as bban), and SEPA in EUR to an IBAN. Its third,
// cross-border-credit-transfers (every other currency of Currencies), is left to refunds, which
// the merchant's own person authorises: it is an international transfer the shopper's bank
// converts and charges for, so a shopper would be debited another amount than the checkout shows
// and the merchant receive less, days later. A Swedish shop's SEK payment is therefore not
// offered at a Norwegian savings bank.
var checkoutProducts = []banks.Product{
	{Name: "norwegian-domestic-credit-transfers", Currencies: []string{"NOK"}, CreditorCountries: []string{"NO"}, CreditorFormat: "bban"},
	{Name: "sepa-credit-transfers", Currencies: []string{"EUR"}, CreditorFormat: "iban"},
}

// Product picks the payment product for a currency.
func (c *Client) Product(currency string) string {
	switch {
	case currency == "NOK" && c.cfg.Instant:
		return "instant-norwegian-domestic-credit-transfers-straks"
	case currency == "NOK":
		return "norwegian-domestic-credit-transfers"
	case currency == "EUR":
		return "sepa-credit-transfers"
	}
	return "cross-border-credit-transfers"
}

func redirectURI(uri, state string) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + "state=" + url.QueryEscape(state)
}

// CreatePayment creates the payment; NOK accounts go as bban, others as iban.
func (c *Client) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	prod := c.Product(req.Currency)
	creditor := map[string]string{"currency": req.Currency}
	if strings.Contains(prod, "norwegian-domestic-credit-transfers") {
		bban := req.Creditor.BBAN
		if bban == "" && strings.HasPrefix(req.Creditor.IBAN, "NO") {
			bban = req.Creditor.IBAN[4:]
		}
		creditor["bban"] = bban
	} else {
		creditor["iban"] = req.Creditor.IBAN
	}
	body := map[string]any{
		"instructedAmount":                  map[string]string{"currency": req.Currency, "amount": req.Amount},
		"creditorAccount":                   creditor,
		"creditorName":                      req.CreditorName,
		"remittanceInformationUnstructured": req.Reference,
	}
	// The PSU context goes with the order, so that every later call on it says the same.
	context := map[string]string{}
	if req.Corporate != nil {
		context[banks.ExtraPSUContext] = "CORPORATE"
		if req.Corporate.ID != "" {
			context[banks.ExtraCorporateID] = req.Corporate.ID
		}
	}
	var out struct {
		PaymentID         string      `json:"paymentId"`
		TransactionStatus string      `json:"transactionStatus"`
		Links             banks.Links `json:"_links"`
	}
	if _, err := c.do(ctx, req.BIC, "", banks.Request{Method: "POST", Path: "/v1/payments/" + url.PathEscape(prod),
		Header: header(req.PSU, redirectURI(req.RedirectURI, req.State), context), JSON: body, Create: true}, &out); err != nil {
		return nil, fmt.Errorf("sbm: create payment: %w", err)
	}
	if out.PaymentID == "" {
		return nil, errors.New("sbm: create payment: no paymentId in the answer")
	}
	created := &banks.Created{PaymentID: out.PaymentID, Product: prod, BankStatus: out.TransactionStatus, Extra: context}
	for key, name := range map[string]string{linkStart: "startAuthorisation", linkStatus: "status", linkSelf: "self"} {
		if href := out.Links.Href(name); href != "" {
			created.Extra[key] = href
		}
	}
	return created, nil
}

// Links the bank gave with the payment, kept in the attempt's Extra and followed by later calls.
const linkStart, linkStatus, linkSelf = "link_start", "link_status", "link_self"

func paymentPath(o banks.Order) string {
	// Payment ids may hold "!", "=" and "/": each goes escaped as one path segment.
	return "/v1/payments/" + url.PathEscape(o.Product) + "/" + url.PathEscape(o.PaymentID)
}

// do sends r to the bank of bic: to link, a link the bank gave (resolved against the bank's base
// URL, refused if on another host), or where it gave none to r.Path under the base URL.
func (c *Client) do(ctx context.Context, bic, link string, r banks.Request, out any) (*banks.Response, error) {
	base, err := c.base(bic)
	if err != nil {
		return nil, err
	}
	r.Path = base + r.Path
	if link != "" {
		if r.Path, err = banks.ResolveLink(base, link); err != nil {
			return nil, err
		}
	}
	return c.t.Do(ctx, r, out)
}

func (c *Client) base(bic string) (string, error) {
	for _, b := range c.cfg.Banks {
		if b.BIC == bic {
			return strings.TrimRight(b.BaseURL, "/"), nil
		}
	}
	return "", fmt.Errorf("no bank %s configured", bic)
}

// header is what every call carries about the shopper, and TPP-Redirect-URI where given. Seed 004,
// PSU-Context: "Explicitly set PSU context" (PRIVATE, or CORPORATE for a person acting for a company,
// whose corporate agreement goes in PSU-Corporate-ID, and is signed: httpsig); extra is the order's.
func header(psu banks.PSU, redirect string, extra map[string]string) http.Header {
	h := psu.Header()
	h.Set("PSU-Context", "PRIVATE")
	if extra[banks.ExtraPSUContext] == "CORPORATE" {
		h.Set("PSU-Context", "CORPORATE")
		if id := extra[banks.ExtraCorporateID]; id != "" {
			h.Set("PSU-Corporate-ID", id)
		}
	}
	if redirect != "" {
		h.Set("TPP-Redirect-URI", redirect)
	}
	return h
}

// StartSCA starts the authorisation and returns the bank's scaRedirect, passed on as given (seed
// 004's own example carries spaces in its query). A 401 whose body carries a scaRedirect (seed
// 004: the bank wants the shopper identified first) is followed the same way.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	var out struct {
		AuthorisationID string      `json:"authorisationId"`
		SCAStatus       string      `json:"scaStatus"`
		Links           banks.Links `json:"_links"`
	}
	resp, err := c.do(ctx, o.BIC, o.Extra[linkStart], banks.Request{Method: "POST", Path: paymentPath(o) + "/authorisations",
		Header: header(o.PSU, redirectURI(req.RedirectURI, req.State), o.Extra), JSON: struct{}{}}, &out)
	var be *banks.Error
	if errors.As(err, &be) && be.Status == http.StatusUnauthorized && resp != nil &&
		json.Unmarshal(resp.Body, &out) == nil && out.Links.Href("scaRedirect") != "" {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("sbm: start authorisation: %w", err)
	}
	href := out.Links.Href("scaRedirect")
	if href == "" {
		return nil, fmt.Errorf("sbm: start authorisation: no scaRedirect link in the answer (scaStatus %s)", out.SCAStatus)
	}
	base, _ := c.base(o.BIC)
	redirect, err := banks.ResolveRedirect(base, href)
	if err != nil {
		return nil, fmt.Errorf("sbm: start authorisation: %w", err)
	}
	return &banks.SCA{AuthorisationID: out.AuthorisationID, Approach: banks.Redirect, Status: out.SCAStatus, RedirectURL: redirect}, nil
}

// PollSCA is not used: SCA is a redirect, and the status confirms it.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	return nil, fmt.Errorf("sbm: redirect SCA has no poll")
}

// FinishRedirect: the bank sends the shopper back to TPP-Redirect-URI with nothing to exchange.
func (c *Client) FinishRedirect(ctx context.Context, o banks.Order, q url.Values) error {
	if e := q.Get("error"); e != "" {
		return &banks.Error{Status: 400, Code: e, Message: "the bank reported " + e, Denied: true}
	}
	return nil
}

// Status reads the transaction status.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	var out struct {
		TransactionStatus string `json:"transactionStatus"`
	}
	if _, err := c.do(ctx, o.BIC, o.Extra[linkStatus], banks.Request{Method: "GET", Path: paymentPath(o) + "/status", Header: header(o.PSU, "", o.Extra)}, &out); err != nil {
		return "", fmt.Errorf("sbm: status: %w", err)
	}
	if out.TransactionStatus == "" {
		return "", errors.New("sbm: status: no transactionStatus in the answer")
	}
	return out.TransactionStatus, nil
}

// Cancel deletes the payment.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	if _, err := c.do(ctx, o.BIC, o.Extra[linkSelf], banks.Request{Method: "DELETE", Path: paymentPath(o), Header: header(o.PSU, "", o.Extra)}, nil); err != nil {
		return fmt.Errorf("sbm: cancel: %w", err)
	}
	return nil
}

// parseError reads the platform's error body, {id, system, status, code, message} (seed 004),
// by the HTTP status, never the body's "status" (the seed prints 400 in it under a 404 and a
// 500), with "message" optional. A refused signature or certificate, which the platform may
// answer with 401 or 400, is no passing failure but our configuration: it says so.
func parseError(status int, body []byte) *banks.Error {
	be := banks.ParseError(status, body)
	if (status == http.StatusUnauthorized || status == http.StatusBadRequest) &&
		(be.Code == "SIGNATURE_INVALID" || be.Code == "CERTIFICATE_INVALID") {
		be.Message = "configuration: the bank refused our request signature or signing certificate; check the QSealC " +
			"(PAYBYBANK_SBM_CERT_FILE, PAYBYBANK_SBM_KEY_FILE) and that the bank has registered it (the bank said: " + be.Message + ")"
	}
	return be
}
