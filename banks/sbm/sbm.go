// Package sbm connects paybybank to Sparebanken Møre and the other Norwegian savings banks on its
// shared NextGenPSD2 platform (one base URL per bank). Every request is signed with HTTP Signatures
// (package httpsig) and carries Digest and TPP-Signature-Certificate; SCA is a redirect to the bank
// (BankID Norway). See protocols/berlin-group-banks.md. Its fake is sbmtest.
package sbm

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
	"time"

	"github.com/google/uuid"

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
	Instant     bool
	HTTPClient  *http.Client
	Logger      *slog.Logger
	MaxAttempts int
	Backoff     time.Duration
	Now         func() time.Time
}

// Client is the provider.
type Client struct{ cfg Config }

var _ banks.Provider = (*Client)(nil)

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
	return &Client{cfg: cfg}
}

// Name is "sbm".
func (c *Client) Name() string { return "sbm" }

// Banks lists the configured banks.
func (c *Client) Banks(ctx context.Context) ([]banks.Bank, error) {
	var out []banks.Bank
	for _, b := range c.cfg.Banks {
		out = append(out, banks.Bank{BIC: b.BIC, Name: b.Name, Country: "NO", Provider: "sbm", Currencies: []string{"NOK", "EUR", "SEK", "DKK", "USD", "GBP"},
			Approach: banks.Redirect, DebtorAccount: "optional", ReferenceLimits: map[string]int{"NOK": 140, "EUR": 140, "SEK": 140, "DKK": 140, "USD": 140, "GBP": 140}})
	}
	return out, nil
}

func (c *Client) base(bic string) (string, error) {
	for _, b := range c.cfg.Banks {
		if b.BIC == bic {
			return strings.TrimRight(b.BaseURL, "/"), nil
		}
	}
	return "", fmt.Errorf("sbm: no bank %s configured", bic)
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
	if strings.HasSuffix(prod, "norwegian-domestic-credit-transfers") || strings.HasSuffix(prod, "-straks") {
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
	var out struct {
		PaymentID         string `json:"paymentId"`
		TransactionStatus string `json:"transactionStatus"`
	}
	hdr := map[string]string{"TPP-Redirect-URI": redirectURI(req.RedirectURI, req.State)}
	if _, err := c.call(ctx, req.BIC, "POST", "/v1/payments/"+prod, req.PSU, hdr, body, &out, true); err != nil {
		return nil, fmt.Errorf("sbm: create payment: %w", err)
	}
	return &banks.Created{PaymentID: out.PaymentID, Product: prod, BankStatus: out.TransactionStatus}, nil
}

func paymentPath(o banks.Order) string {
	// Payment ids may hold "!", "=" and "/": each goes escaped as one path segment.
	return "/v1/payments/" + url.PathEscape(o.Product) + "/" + url.PathEscape(o.PaymentID)
}

type links struct {
	SCARedirect struct {
		Href string `json:"href"`
	} `json:"scaRedirect"`
}

// StartSCA starts the authorisation and returns the bank's scaRedirect. A 401 that carries a
// scaRedirect (the bank wants the shopper identified first) is followed the same way.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	var out struct {
		AuthorisationID string `json:"authorisationId"`
		SCAStatus       string `json:"scaStatus"`
		Links           links  `json:"_links"`
	}
	hdr := map[string]string{"TPP-Redirect-URI": redirectURI(req.RedirectURI, req.State)}
	data, err := c.call(ctx, o.BIC, "POST", paymentPath(o)+"/authorisations", o.PSU, hdr, map[string]any{}, &out, false)
	if be, ok := err.(*banks.Error); ok && be.Status == 401 {
		if json.Unmarshal(data, &out) == nil && out.Links.SCARedirect.Href != "" {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sbm: start authorisation: %w", err)
	}
	if out.Links.SCARedirect.Href == "" {
		return nil, fmt.Errorf("sbm: start authorisation: no scaRedirect")
	}
	return &banks.SCA{AuthorisationID: out.AuthorisationID, Approach: banks.Redirect, Status: out.SCAStatus, RedirectURL: out.Links.SCARedirect.Href}, nil
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
	if _, err := c.call(ctx, o.BIC, "GET", paymentPath(o)+"/status", o.PSU, nil, nil, &out, false); err != nil {
		return "", fmt.Errorf("sbm: status: %w", err)
	}
	return out.TransactionStatus, nil
}

// Cancel deletes the payment.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	if _, err := c.call(ctx, o.BIC, "DELETE", paymentPath(o), o.PSU, nil, nil, nil, false); err != nil {
		return fmt.Errorf("sbm: cancel: %w", err)
	}
	return nil
}

// call signs and sends one request, retrying 429 and 5xx (a create only on 429 and 503). It
// returns the answer's body for callers that read an error's links.
func (c *Client) call(ctx context.Context, bic, method, path string, psu banks.PSU, extra map[string]string, in, out any, create bool) ([]byte, error) {
	base, err := c.base(bic)
	if err != nil {
		return nil, err
	}
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	var lastErr error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		xid := uuid.NewString()
		req.Header.Set("X-Request-ID", xid)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("PSU-IP-Address", psu.IPAddress)
		if psu.UserAgent != "" {
			req.Header.Set("PSU-User-Agent", psu.UserAgent)
		}
		req.Header.Set("PSU-Context", "PRIVATE")
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		if err := httpsig.Sign(req, body, c.cfg.Key, c.cfg.Cert, c.cfg.Now()); err != nil {
			return nil, err
		}
		start := time.Now()
		resp, err := c.cfg.HTTPClient.Do(req)
		log := banks.CallLog{Logger: c.cfg.Logger, Provider: "sbm", Method: method, Path: req.URL.EscapedPath(), XRequestID: xid, Attempt: attempt}
		if err != nil {
			log.Log(ctx, slog.LevelWarn, "bank call failed", slog.String("error", err.Error()))
			lastErr = &banks.Error{Message: "no answer from the bank", Retryable: true}
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
		be := parseError(resp.StatusCode, data)
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

// parseError reads the platform's error form {id, system, status, code, message}, or tppMessages.
func parseError(status int, data []byte) *banks.Error {
	be := &banks.Error{Status: status, Retryable: status == 429 || status >= 500}
	var e struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		TPPMessages []struct {
			Code, Text string
		} `json:"tppMessages"`
	}
	if json.Unmarshal(data, &e) == nil {
		be.Code, be.Message = e.Code, e.Message
		if len(e.TPPMessages) > 0 {
			be.Code, be.Message = e.TPPMessages[0].Code, e.TPPMessages[0].Text
		}
	}
	if be.Message == "" {
		be.Message = http.StatusText(status)
	}
	return be
}
