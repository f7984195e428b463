// Package sibs connects paybybank to the SIBS API Market, one gateway in front of Portuguese banks
// (the bank is a path segment, aspsp-cde), through banks.Transport: requests carry x-ibm-client-id
// and are signed over a Date in the seed's form; SCA is a redirect or embedded (an OTP typed on
// our page), as the links of the bank's answers lead; TSU social-security payments too. Fake: sibstest.
package sibs

import (
	"cmp"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"paybybank/banks"
	"paybybank/banks/httpsig"
	"paybybank/payment"
)

// Config is what the connector needs.
type Config struct {
	BaseURL     string // the API Market gateway
	ClientID    string // x-ibm-client-id
	Cert        *x509.Certificate
	Key         *rsa.PrivateKey
	HTTPClient  *http.Client
	Logger      *slog.Logger
	MaxAttempts int
	Backoff     time.Duration
	Now         func() time.Time
	// OnCall is told the outcome of every bank call (banks.Transport.OnCall); nil: nobody.
	OnCall func(banks.CallResult)
}

// Client is the provider.
type Client struct {
	cfg Config
	api *banks.Transport

	mu    sync.Mutex
	codes map[string]string // BIC → aspsp-cde
	list  []banks.Bank
	at    time.Time
}

var (
	_ banks.OTPSubmitter  = (*Client)(nil) // and a banks.Provider, as app.go's list of them checks
	_ banks.PayerReporter = (*Client)(nil)
)

// New returns a connector.
func New(cfg Config) *Client {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, codes: map[string]string{}}
	c.api = &banks.Transport{OnCall: cfg.OnCall, Provider: "sibs", BaseURL: strings.TrimRight(cfg.BaseURL, "/"), Client: cfg.HTTPClient,
		Logger: cfg.Logger, MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff, Now: cfg.Now,
		Header:     func(req *http.Request) { req.Header.Set("x-ibm-client-id", cfg.ClientID) },
		Sign:       c.sign,
		ParseError: parseError}
	return c
}

// sign sets the Date before httpsig signs it (Sign keeps a Date already set) in the seed's form,
// "Request date" yyyy-MM-dd'T'hh:MM:ss.SSS, as meant: a 24-hour clock and minutes (not the month).
func (c *Client) sign(req *http.Request, body []byte) error {
	now := c.cfg.Now()
	req.Header.Set("Date", now.UTC().Format("2006-01-02T15:04:05.000"))
	return httpsig.Sign(req, body, c.cfg.Key, c.cfg.Cert, now)
}

// Name is "sibs".
func (c *Client) Name() string { return "sibs" }

// ASPSP is one bank in SIBS' list (the fields we read).
type ASPSP struct {
	BIC  string `json:"bic"`
	Code string `json:"aspsp-cde"`
	Name string `json:"name"`
}

// Banks lists the gateway's banks, cached for an hour.
func (c *Client) Banks(ctx context.Context) ([]banks.Bank, error) {
	c.mu.Lock()
	if c.list != nil && time.Since(c.at) < time.Hour {
		defer c.mu.Unlock()
		return c.list, nil
	}
	c.mu.Unlock()
	var out struct {
		List []ASPSP `json:"aspsp-list"`
	}
	if err := c.call(ctx, banks.Request{Method: "GET", Path: "/sibs/v1-0-2/available-aspsp"}, banks.PSU{}, &out); err != nil {
		return nil, fmt.Errorf("sibs: banks: %w", err)
	}
	var list []banks.Bank
	codes := map[string]string{}
	for _, a := range out.List {
		codes[a.BIC] = a.Code
		list = append(list, banks.Bank{BIC: a.BIC, Name: a.Name, Country: "PT", Provider: "sibs", Currencies: []string{"EUR"},
			Approach: banks.Redirect, DebtorAccount: "optional", ReferenceLimits: map[string]int{"EUR": 140}, TSU: true})
	}
	c.mu.Lock()
	c.list, c.codes, c.at = list, codes, time.Now()
	c.mu.Unlock()
	return list, nil
}

func (c *Client) code(ctx context.Context, bic string) (string, error) {
	if _, err := c.Banks(ctx); err != nil { // cached
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cde := c.codes[bic]; cde != "" {
		return cde, nil
	}
	return "", fmt.Errorf("sibs: no bank %s at the gateway", bic)
}

// Answer is the gateway's answer to a creation, to a POST on startAuthorisation and to the
// one-time code: each carries some of these fields, its links as strings or {href}.
type Answer struct {
	TransactionStatus string `json:"transactionStatus"`
	PaymentID         string `json:"paymentId"`
	AuthorisationID   string `json:"authorisationId"`
	SCAStatus         string `json:"scaStatus"`
	ChosenSCAMethod   *struct {
		Name string `json:"name"`
	} `json:"chosenScaMethod"`
	ChallengeData *struct {
		OTPMaxLength          int    `json:"otpMaxLength"`
		OTPFormat             string `json:"otpFormat"`
		AdditionalInformation string `json:"additionalInformation"`
	} `json:"challengeData"`
	Links banks.Links `json:"_links"`
}

// Keys of what the connector keeps in the attempt's Extra for later calls.
const (
	keyRedirectURI = "redirect_uri" // TPP-Redirect-URI, sent again, equal, on the cancellation
	linkSelf       = "link_self"
	linkStatus     = "link_status"
	linkStart      = "link_start"
	linkOTP        = "link_otp"
	linkSCAStatus  = "link_sca_status"
)

// keep notes the links of an answer in extra and returns its embedded challenge, if it has one.
func keep(extra map[string]string, a *Answer) *payment.Challenge {
	for key, names := range map[string][]string{linkSelf: {"self"}, linkStatus: {"status"}, linkStart: {"startAuthorisation"},
		linkOTP: {"startAuthorisationWithTransactionAuthorisation", "authoriseTransaction"}, linkSCAStatus: {"scaStatus"}} {
		if href := a.Links.Href(names...); href != "" {
			extra[key] = href
		}
	}
	m, cd := a.ChosenSCAMethod, a.ChallengeData
	if (m == nil || m.Name == "") && cd == nil {
		return nil
	}
	ch := &payment.Challenge{}
	if m != nil {
		ch.Method = m.Name
	}
	if cd != nil { // the seed: "The TPP is obliged to show this to the PSU"
		ch.Information, ch.OTPFormat, ch.OTPLength = cd.AdditionalInformation, cd.OTPFormat, max(cd.OTPMaxLength, 0)
	}
	return ch
}

// CreatePayment creates a SEPA payment, or a TSU payment when the request carries TSU data. The
// bank's answer says how SCA goes: a redirect link, an OTP link with its challenge (embedded),
// or a link to start the authorisation, which StartSCA follows.
func (c *Client) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	cde, err := c.code(ctx, req.BIC)
	if err != nil {
		return nil, err
	}
	amount := map[string]string{"currency": req.Currency, "amount": req.Amount}
	var path, product string
	var body map[string]any
	if t := req.TSU; t != nil {
		if req.Debtor == nil || req.Debtor.IBAN == "" {
			return nil, &banks.Error{Status: 400, Code: "FORMAT_ERROR", Message: "a TSU payment needs the payer's IBAN"}
		}
		product, path = "tsu-payments", "/"+url.PathEscape(cde)+"/v1-0-4/tsu-payments/tsu-payments"
		body = map[string]any{"instructedAmount": amount, "debtorAccount": map[string]string{"iban": req.Debtor.IBAN},
			"socialSecurityAccountCode": t.SocialSecurityAccountCode, "taxpayerIdentificationNumber": t.TaxpayerID,
			"referencePeriod": t.ReferencePeriod}
	} else {
		product, path = "sepa-credit-transfers", "/"+url.PathEscape(cde)+"/v1-0-4/payments/sepa-credit-transfers"
		body = map[string]any{"instructedAmount": amount, "creditorAccount": map[string]string{"iban": req.Creditor.IBAN},
			"creditorName": req.CreditorName, "remittanceInformationUnstructured": req.Reference}
		if req.Debtor != nil && req.Debtor.IBAN != "" {
			body["debtorAccount"] = map[string]string{"iban": req.Debtor.IBAN}
		}
	}
	redirectURI := req.RedirectURI + "?state=" + url.QueryEscape(req.State)
	hdr := http.Header{"TPP-Redirect-URI": {redirectURI}, "TPP-Redirect-Preferred": {"true"}}
	var out Answer
	if err := c.call(ctx, banks.Request{Method: "POST", Path: path, Header: hdr, JSON: body, Create: true}, req.PSU, &out); err != nil {
		return nil, fmt.Errorf("sibs: create payment: %w", err)
	}
	if out.PaymentID == "" {
		return nil, fmt.Errorf("sibs: create payment: no paymentId in answer")
	}
	created := &banks.Created{PaymentID: out.PaymentID, Product: product, BankStatus: out.TransactionStatus,
		Extra: map[string]string{"aspsp": cde, keyRedirectURI: redirectURI}}
	created.Challenge = keep(created.Extra, &out)
	if href := out.Links.Href("scaRedirect", "redirect"); href != "" {
		if created.RedirectURL, err = banks.ResolveRedirect(c.api.BaseURL, href); err != nil {
			return nil, fmt.Errorf("sibs: create payment: %w", err)
		}
	}
	return created, nil
}

// paymentPath is the payment's documented path, called only where the bank gave no link.
func paymentPath(o banks.Order) string {
	base := "/v1-0-4/payments/"
	if o.Product == "tsu-payments" {
		base = "/v1-0-4/tsu-payments/"
	}
	return "/" + url.PathEscape(o.Extra["aspsp"]) + base + url.PathEscape(o.Product) + "/" + url.PathEscape(o.PaymentID)
}

// StartSCA goes on from the creation: embedded SCA whose challenge the creation's answer already
// carried, or a POST on the startAuthorisation link, whose answer carries a redirect link or the
// OTP link and its challenge. The seed documents no authorisation paths: only links lead there.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	if o.Extra[linkOTP] != "" {
		return &banks.SCA{Approach: banks.Embedded}, nil
	} else if o.Extra[linkStart] == "" {
		return nil, fmt.Errorf("sibs: start authorisation: the bank gave no link to go on with")
	}
	var out Answer
	if err := c.call(ctx, banks.Request{Method: "POST", Path: o.Extra[linkStart], JSON: struct{}{}}, o.PSU, &out); err != nil {
		return nil, fmt.Errorf("sibs: start authorisation: %w", err)
	}
	sca := &banks.SCA{AuthorisationID: out.AuthorisationID, Approach: banks.Embedded, Status: out.SCAStatus, Extra: map[string]string{}}
	sca.Challenge = keep(sca.Extra, &out)
	if href := out.Links.Href("scaRedirect", "redirect"); href != "" {
		sca.Approach = banks.Redirect
		var err error
		if sca.RedirectURL, err = banks.ResolveRedirect(c.api.BaseURL, href); err != nil {
			return nil, fmt.Errorf("sibs: start authorisation: %w", err)
		}
	}
	return sca, nil
}

// SubmitOTP posts the code to the startAuthorisationWithTransactionAuthorisation link; finalised
// means SCA succeeded: the answer's scaStatus, else (the seed has none) an accepted transaction
// status or the scaStatus link says so.
func (c *Client) SubmitOTP(ctx context.Context, o banks.Order, otp string) (bool, error) {
	var out Answer
	if o.Extra[linkOTP] == "" {
		return false, fmt.Errorf("sibs: OTP: the bank gave no link to send it to")
	} else if err := c.call(ctx, banks.Request{Method: "POST", Path: o.Extra[linkOTP], JSON: map[string]string{"scaAuthenticationData": otp}},
		o.PSU, &out); err != nil {
		return false, fmt.Errorf("sibs: OTP: %w", err)
	}
	accepted := strings.HasPrefix(out.TransactionStatus, "AC")
	if href := cmp.Or(out.Links.Href("scaStatus"), o.Extra[linkSCAStatus]); out.SCAStatus == "" && !accepted && href != "" {
		if err := c.call(ctx, banks.Request{Method: "GET", Path: href}, o.PSU, &out); err != nil {
			return false, fmt.Errorf("sibs: OTP: SCA status: %w", err)
		}
	}
	return accepted || out.SCAStatus == string(payment.SCAFinalised) || out.SCAStatus == string(payment.SCAExempted), nil
}

// PollSCA is not used.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	return nil, fmt.Errorf("sibs: no decoupled SCA")
}

// FinishRedirect: the bank sends the shopper back with nothing to exchange.
func (c *Client) FinishRedirect(ctx context.Context, o banks.Order, q url.Values) error {
	if e := q.Get("error"); e != "" {
		return &banks.Error{Status: 400, Code: e, Message: "refused at the bank", Denied: true}
	}
	return nil
}

// Status reads the transaction status. A refusal's body may say transactionStatus RJCT (the
// seed's "Error and status Information"); it is an error, never the payment's status.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	var out Answer
	if err := c.call(ctx, banks.Request{Method: "GET", Path: cmp.Or(o.Extra[linkStatus], paymentPath(o)+"/status")}, o.PSU, &out); err != nil {
		return "", fmt.Errorf("sibs: status: %w", err)
	}
	if out.TransactionStatus == "" {
		return "", fmt.Errorf("sibs: status: empty transactionStatus")
	}
	return out.TransactionStatus, nil
}

// PaymentContent is the seed's "Returns the content of a payment initiation object" (Get TSU
// Payment Request, GET …/{payment-id}), as far as the connector reads it: debtorAccount (required
// there) and the optional debtorName ("for a corporate account, the corporate name"). For the
// payments products Berlin Group echoes the initiation's body, whose debtorAccount is optional.
type PaymentContent struct {
	TransactionStatus string `json:"transactionStatus"`
	DebtorAccount     *struct {
		IBAN string `json:"iban"`
		BBAN string `json:"bban"`
	} `json:"debtorAccount"`
	DebtorName string `json:"debtorName"`
}

// Payer reads the payment resource (its self link, or the documented path) for the account the
// payment came from and its holder's name.
func (c *Client) Payer(ctx context.Context, o banks.Order) (*payment.PayerAccount, error) {
	var out PaymentContent
	if err := c.call(ctx, banks.Request{Method: "GET", Path: cmp.Or(o.Extra[linkSelf], paymentPath(o))}, o.PSU, &out); err != nil {
		return nil, fmt.Errorf("sibs: payment content: %w", err)
	}
	if out.DebtorAccount == nil {
		return nil, nil
	}
	payer, err := banks.ReportedPayer(out.DebtorAccount.IBAN, out.DebtorAccount.BBAN, "", "PT", out.DebtorName)
	if err != nil {
		return nil, fmt.Errorf("sibs: payment content: %w", err)
	}
	return payer, nil
}

// Cancel deletes the payment with the creation's TPP-Redirect-URI, which the seed wants "at least if
// the tppRedirectPreferred parameter is set to true or is missing" (none kept: preferred false).
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	hdr := http.Header{"TPP-Redirect-Preferred": {"false"}}
	if uri := o.Extra[keyRedirectURI]; uri != "" {
		hdr = http.Header{"TPP-Redirect-URI": {uri}}
	}
	if err := c.call(ctx, banks.Request{Method: "DELETE", Path: cmp.Or(o.Extra[linkSelf], paymentPath(o)), Header: hdr}, o.PSU, nil); err != nil {
		return fmt.Errorf("sibs: cancel: %w", err)
	}
	return nil
}

// call sends one request through the transport with the PSU's forwarded headers.
func (c *Client) call(ctx context.Context, r banks.Request, psu banks.PSU, out any) error {
	h := psu.Header()
	for k, v := range r.Header {
		h[k] = v
	}
	r.Header = h
	_, err := c.api.Do(ctx, r, out)
	return err
}

// messages turns the gateway's codes (the seed's MessageCode enum, spelled exactly as there,
// misspellings included) into clear errors; the others keep the gateway's text.
var messages = map[string]string{
	"SERVICE_BLOCKED":        "the service is blocked for this account",
	"CORPORATE_ID_IVALID":    "the corporate id is not valid",
	"CONSENT_UNKNOWN":        "the consent is unknown",
	"CONSENT_INVALID":        "the gateway refused the request's credentials or authorisation",
	"RESOURCE_UNIKNOWN":      "the payment is unknown at the bank",
	"RESOURCE_EXPIRED":       "the payment has expired at the bank",
	"TIMESTAMP_INVALID":      "the request's Date was refused",
	"PERIOD_INVALID":         "the reference period is not valid",
	"SCA_METHOD_UNKKNOWN":    "the authentication method is unknown",
	"TRANSACTION_ID_INVALID": "the request's X-Request-ID was refused",
	"PRODUCT_INVALID":        "the payment product is not available for this account",
	"PRODUCT_UNKNOWN":        "the payment product is unknown",
	"PAYMENT_FAILED":         "the bank could not execute the payment",
	"ACCESS_EXCEEDED":        "too many requests for this account",
}

// parseError reads the gateway's tppMessages and names its code clearly.
func parseError(status int, body []byte) *banks.Error {
	be := banks.ParseError(status, body)
	if m := messages[be.Code]; m != "" {
		be.Message = m
	}
	return be
}
