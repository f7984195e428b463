// Package sibs connects paybybank to the SIBS API Market, one gateway in front of Portuguese banks
// (the bank is a path segment, aspsp-cde). Requests carry x-ibm-client-id and are signed (HTTP
// Signatures with Digest and TPP-Signature-Certificate). The bank chooses redirect SCA (we send
// the shopper to its link) or embedded SCA (the shopper types the OTP on our page). Payments for
// Portuguese social security (TSU) go to the tsu-payments service. Its fake is sibstest.
package sibs

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"paybybank/banks"
	"paybybank/banks/httpsig"
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
}

// Client is the provider.
type Client struct {
	cfg Config

	mu    sync.Mutex
	codes map[string]string // BIC → aspsp-cde
	list  []banks.Bank
	at    time.Time
}

var (
	_ banks.Provider     = (*Client)(nil)
	_ banks.OTPSubmitter = (*Client)(nil)
)

// New returns a connector.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, codes: map[string]string{}}
}

// Name is "sibs".
func (c *Client) Name() string { return "sibs" }

// ASPSP is one bank in SIBS' list.
type ASPSP struct {
	ID       string `json:"id"`
	BIC      string `json:"bic"`
	BankCode string `json:"bank-code"`
	Code     string `json:"aspsp-cde"`
	Name     string `json:"name"`
	Logo     string `json:"logoLocation"`
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
	if _, err := c.call(ctx, "GET", "/sibs/v1-0-2/available-aspsp", banks.PSU{}, nil, nil, &out, false); err != nil {
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
	c.mu.Lock()
	cde := c.codes[bic]
	c.mu.Unlock()
	if cde == "" {
		if _, err := c.Banks(ctx); err != nil {
			return "", err
		}
		c.mu.Lock()
		cde = c.codes[bic]
		c.mu.Unlock()
	}
	if cde == "" {
		return "", fmt.Errorf("sibs: no bank %s at the gateway", bic)
	}
	return cde, nil
}

type linksAnswer struct {
	TransactionStatus string `json:"transactionStatus"`
	PaymentID         string `json:"paymentId"`
	Links             map[string]struct {
		Href string `json:"href"`
	} `json:"_links"`
	SCAMethods []struct {
		AuthenticationType     string `json:"authenticationType"`
		AuthenticationMethodID string `json:"authenticationMethodId"`
	} `json:"scaMethods"`
}

// CreatePayment creates a SEPA payment, or a TSU payment when the request carries TSU data. The
// bank's answer says how SCA goes: a redirect link, or embedded (an OTP on our page).
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
	hdr := map[string]string{"TPP-Redirect-URI": req.RedirectURI + "?state=" + url.QueryEscape(req.State), "TPP-Redirect-Preferred": "true"}
	var out linksAnswer
	if _, err := c.call(ctx, "POST", path, req.PSU, hdr, body, &out, true); err != nil {
		return nil, fmt.Errorf("sibs: create payment: %w", err)
	}
	created := &banks.Created{PaymentID: out.PaymentID, Product: product, BankStatus: out.TransactionStatus,
		Extra: map[string]string{"aspsp": cde}}
	for _, name := range []string{"scaRedirect", "redirect"} {
		if l, ok := out.Links[name]; ok && l.Href != "" {
			created.RedirectURL = l.Href
			return created, nil
		}
	}
	return created, nil // embedded: StartSCA opens the authorisation and its OTP challenge
}

func paymentPath(o banks.Order) string {
	base := "/v1-0-4/payments/"
	if o.Product == "tsu-payments" {
		base = "/v1-0-4/tsu-payments/"
	}
	return "/" + url.PathEscape(o.Extra["aspsp"]) + base + url.PathEscape(o.Product) + "/" + url.PathEscape(o.PaymentID)
}

// StartSCA opens an embedded authorisation: the bank sends the shopper an OTP and tells us how it looks.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	var out struct {
		AuthorisationID string `json:"authorisationId"`
		SCAStatus       string `json:"scaStatus"`
		ChallengeData   struct {
			OTPMaxLength          int    `json:"otpMaxLength"`
			OTPFormat             string `json:"otpFormat"`
			AdditionalInformation string `json:"additionalInformation"`
		} `json:"challengeData"`
	}
	if _, err := c.call(ctx, "POST", paymentPath(o)+"/authorisations", o.PSU, nil, map[string]any{}, &out, false); err != nil {
		return nil, fmt.Errorf("sibs: start authorisation: %w", err)
	}
	return &banks.SCA{AuthorisationID: out.AuthorisationID, Approach: banks.Embedded, Status: out.SCAStatus,
		Extra: map[string]string{"challenge": out.ChallengeData.AdditionalInformation, "otp_length": fmt.Sprint(out.ChallengeData.OTPMaxLength),
			"otp_format": out.ChallengeData.OTPFormat}}, nil
}

// SubmitOTP sends the code the shopper typed; finalised true means SCA succeeded.
func (c *Client) SubmitOTP(ctx context.Context, o banks.Order, otp string) (bool, error) {
	var out struct {
		SCAStatus string `json:"scaStatus"`
	}
	if _, err := c.call(ctx, "PUT", paymentPath(o)+"/authorisations/"+url.PathEscape(o.AuthorisationID), o.PSU, nil,
		map[string]string{"scaAuthenticationData": otp}, &out, false); err != nil {
		return false, fmt.Errorf("sibs: OTP: %w", err)
	}
	return strings.EqualFold(out.SCAStatus, "finalised"), nil
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

// Status reads the transaction status.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	var out struct {
		TransactionStatus string `json:"transactionStatus"`
	}
	if _, err := c.call(ctx, "GET", paymentPath(o)+"/status", o.PSU, nil, nil, &out, false); err != nil {
		return "", fmt.Errorf("sibs: status: %w", err)
	}
	return out.TransactionStatus, nil
}

// Cancel deletes the payment.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	_, err := c.call(ctx, "DELETE", paymentPath(o), o.PSU, nil, nil, nil, false)
	return err
}

// messages turns the gateway's codes into clear errors. Some codes are misspelled in SIBS'
// specification; they are matched exactly as the gateway sends them.
var messages = map[string]string{
	"SERVICE_BLOCKED":         "the service is blocked for this account",
	"CORPORATE_ID_IVALID":     "the corporate id is not valid",
	"CONSENT_UNKNOWN":         "the consent is unknown",
	"RESOURCE_UNIKNOWN":       "the payment is unknown at the bank",
	"RESOURCE_EXPIRED":        "the payment has expired at the bank",
	"TIMESTAMP_INVALID":       "the request's Date is outside the accepted window",
	"PRODUCT_INVALID":         "the payment product is not available for this account",
	"PRODUCT_UNKNOWN":         "the payment product is unknown",
	"PAYMENT_FAILED":          "the bank could not execute the payment",
	"SCA_METHOD_UNKKNOWN":     "the authentication method is unknown",
	"ACCESS_EXCEEDED":         "too many requests for this account",
	"FORMAT_ERROR":            "the request was malformed",
	"SIGNATURE_INVALID":       "the request's signature was refused",
	"CERTIFICATE_INVALID":     "our signing certificate was refused",
	"PSU_CREDENTIALS_INVALID": "the code is not correct",
}

// call signs and sends one request, retrying 429 and 5xx with backoff (a create only on 429 and 503).
func (c *Client) call(ctx context.Context, method, path string, psu banks.PSU, extra map[string]string, in, out any, create bool) ([]byte, error) {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	var lastErr error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		xid := uuid.NewString()
		req.Header.Set("X-Request-ID", xid)
		req.Header.Set("x-ibm-client-id", c.cfg.ClientID)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if psu.IPAddress != "" {
			req.Header.Set("PSU-IP-Address", psu.IPAddress)
		}
		if psu.UserAgent != "" {
			req.Header.Set("PSU-User-Agent", psu.UserAgent)
		}
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		if err := httpsig.Sign(req, body, c.cfg.Key, c.cfg.Cert, c.cfg.Now()); err != nil {
			return nil, err
		}
		start := time.Now()
		resp, err := c.cfg.HTTPClient.Do(req)
		log := banks.CallLog{Logger: c.cfg.Logger, Provider: "sibs", Method: method, Path: req.URL.EscapedPath(), XRequestID: xid, Attempt: attempt}
		if err != nil {
			log.Log(ctx, slog.LevelWarn, "bank call failed", slog.String("error", err.Error()))
			lastErr = &banks.Error{Message: "no answer from SIBS", Retryable: true}
			if create || ctx.Err() != nil {
				return nil, lastErr
			}
			banks.Wait(ctx, c.cfg.Backoff, attempt, 0)
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		log.Log(ctx, slog.LevelInfo, "bank call", slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)))
		if resp.StatusCode < 300 {
			if out != nil && len(data) > 0 {
				return data, json.Unmarshal(data, out)
			}
			return data, nil
		}
		be := &banks.Error{Status: resp.StatusCode, Retryable: resp.StatusCode == 429 || resp.StatusCode >= 500}
		var e struct {
			TPPMessages []struct{ Code, Text string } `json:"tppMessages"`
		}
		if json.Unmarshal(data, &e) == nil && len(e.TPPMessages) > 0 {
			be.Code = e.TPPMessages[0].Code
			be.Message = messages[be.Code]
			if be.Message == "" {
				be.Message = e.TPPMessages[0].Text
			}
		} else {
			be.Message = http.StatusText(resp.StatusCode)
		}
		lastErr = be
		if !be.Retryable || (create && resp.StatusCode != 429 && resp.StatusCode != 503) {
			return data, be
		}
		if attempt < c.cfg.MaxAttempts {
			banks.Wait(ctx, c.cfg.Backoff, attempt, banks.RetryAfter(resp.Header))
		}
	}
	return nil, lastErr
}
