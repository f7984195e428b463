// Package paysera connects paybybank to Paysera's Berlin Group API (Lithuania): the shopper first
// lets us initiate a payment through OAuth 2.0 authorization code with PKCE (golang.org/x/oauth2),
// then the payment is created with their token and confirmed with SCA at Paysera. Every call goes
// over mutual TLS with our QWAC; bodies carry Digest. See protocols/berlin-group-banks.md.
package paysera

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"paybybank/banks"
	"paybybank/banks/httpsig"
)

// BIC is Paysera's BIC.
const BIC = "EVIULT2V"

// Config is what the connector needs.
type Config struct {
	APIURL       string // e.g. https://open-banking-api.paysera.com/xs2a/berlin/1.3 (mutual TLS)
	AuthorizeURL string // the browser's OAuth page
	ClientID     string
	// HTTPClient carries the client certificate, key and CA bundle, and the time-outs.
	HTTPClient  *http.Client
	Logger      *slog.Logger
	MaxAttempts int
	Backoff     time.Duration
}

// Client is the provider.
type Client struct {
	cfg   Config
	oauth *oauth2.Config

	mu        sync.Mutex
	slowUntil time.Time // rate limit: below 20 % remaining, calls are spaced out
	// tokens keeps each payment's latest token, so a refresh token Paysera rotates is used once.
	tokens map[string]*oauth2.Token
}

var (
	_ banks.Provider  = (*Client)(nil)
	_ banks.Continuer = (*Client)(nil)
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
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	return &Client{cfg: cfg, tokens: map[string]*oauth2.Token{}, oauth: &oauth2.Config{ClientID: cfg.ClientID, Scopes: []string{"payments"},
		Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthorizeURL, TokenURL: cfg.APIURL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}}
}

// Name is "paysera".
func (c *Client) Name() string { return "paysera" }

// Banks is Paysera itself.
func (c *Client) Banks(ctx context.Context) ([]banks.Bank, error) {
	return []banks.Bank{{BIC: BIC, Name: "Paysera", Country: "LT", Provider: "paysera", Currencies: []string{"EUR"},
		Approach: banks.Redirect, DebtorAccount: "at_bank", ReferenceLimits: map[string]int{"EUR": 140}}}, nil
}

// CreatePayment cannot create yet: it sends the shopper to authorise us first (PKCE S256, our
// state). The verifier stays with the attempt, server-side.
func (c *Client) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	verifier := oauth2.GenerateVerifier()
	conf := *c.oauth
	conf.RedirectURL = req.RedirectURI
	return &banks.Created{Product: "sepa-credit-transfers", RedirectURL: conf.AuthCodeURL(req.State, oauth2.S256ChallengeOption(verifier)),
		Extra: map[string]string{"phase": "authorize", "verifier": verifier, "redirect_uri": req.RedirectURI}}, nil
}

// Continue exchanges the code (with the verifier), creates the payment with the shopper's token
// and returns Paysera's scaRedirect. The tokens stay with the attempt for status and cancel.
func (c *Client) Continue(ctx context.Context, o banks.Order, q url.Values, next banks.SCARequest, req banks.PaymentRequest) (*banks.Created, error) {
	if e := q.Get("error"); e != "" {
		return nil, &banks.Error{Status: 400, Code: e, Message: "refused at Paysera", Denied: e == "access_denied"}
	}
	conf := *c.oauth
	conf.RedirectURL = o.Extra["redirect_uri"]
	tok, err := conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient), q.Get("code"), oauth2.VerifierOption(o.Extra["verifier"]))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, &banks.Error{Status: re.Response.StatusCode, Code: re.ErrorCode, Message: re.ErrorDescription}
		}
		return nil, &banks.Error{Message: err.Error(), Retryable: true}
	}
	body := map[string]any{
		"instructedAmount":                  map[string]string{"currency": req.Currency, "amount": req.Amount},
		"creditorAccount":                   map[string]string{"iban": req.Creditor.IBAN},
		"creditorName":                      req.CreditorName,
		"remittanceInformationUnstructured": req.Reference,
	}
	redirect := next.RedirectURI + "?state=" + url.QueryEscape(next.State)
	var out struct {
		PaymentID         string `json:"paymentId"`
		TransactionStatus string `json:"transactionStatus"`
		Links             struct {
			SCARedirect struct{ Href string } `json:"scaRedirect"`
		} `json:"_links"`
	}
	if err := c.call(ctx, tok.AccessToken, "POST", "/v1/payments/sepa-credit-transfers", req.PSU, map[string]string{"TPP-Redirect-URI": redirect}, body, &out, true); err != nil {
		return nil, fmt.Errorf("paysera: create payment: %w", err)
	}
	if out.PaymentID == "" || out.Links.SCARedirect.Href == "" {
		return nil, fmt.Errorf("paysera: create payment: no paymentId or scaRedirect")
	}
	return &banks.Created{PaymentID: out.PaymentID, Product: "sepa-credit-transfers", BankStatus: out.TransactionStatus,
		RedirectURL: out.Links.SCARedirect.Href, Extra: map[string]string{"access_token": tok.AccessToken, "refresh_token": tok.RefreshToken,
			"expiry": tok.Expiry.UTC().Format(time.RFC3339)}}, nil
}

// token returns a valid access token for an order, refreshed a minute before expiry, or at once
// when force is set (the bank said TOKEN_INVALID). The latest token is kept per payment.
func (c *Client) token(ctx context.Context, o banks.Order, force bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tokens[o.PaymentID]
	if t == nil {
		exp, _ := time.Parse(time.RFC3339, o.Extra["expiry"])
		t = &oauth2.Token{AccessToken: o.Extra["access_token"], RefreshToken: o.Extra["refresh_token"], Expiry: exp}
	}
	if force || time.Until(t.Expiry) < time.Minute {
		stale := *t
		stale.Expiry = time.Unix(1, 0)
		nt, err := c.oauth.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient), &stale).Token()
		if err != nil {
			return "", &banks.Error{Status: 401, Code: "TOKEN_INVALID", Message: "could not refresh the Paysera token: " + err.Error()}
		}
		t = nt
		if o.Extra != nil {
			// Paysera rotates refresh tokens: the old one is spent. The new pair goes back into the
			// order's Extra, which the checkout stores, so that after a restart the payment can
			// still be asked about (and not expire here while the bank carries it out).
			o.Extra["access_token"], o.Extra["refresh_token"] = t.AccessToken, t.RefreshToken
			o.Extra["expiry"] = t.Expiry.UTC().Format(time.RFC3339)
		}
	}
	c.tokens[o.PaymentID] = t
	return t.AccessToken, nil
}

// authed runs a call with the payment's token, refreshing once if Paysera says it is invalid.
func (c *Client) authed(ctx context.Context, o banks.Order, method, path string, out any) error {
	for try := 0; try < 2; try++ {
		tok, err := c.token(ctx, o, try > 0)
		if err != nil {
			return err
		}
		err = c.call(ctx, tok, method, path, o.PSU, nil, nil, out, false)
		var be *banks.Error
		if try == 0 && errors.As(err, &be) && be.Status == 401 && be.Code == "TOKEN_INVALID" {
			continue
		}
		return err
	}
	return nil
}

// StartSCA is not used: Paysera's SCA link comes with the payment.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	return nil, fmt.Errorf("paysera: SCA starts from the payment's scaRedirect")
}

// PollSCA is not used.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	return nil, fmt.Errorf("paysera: redirect SCA has no poll")
}

// FinishRedirect handles the return from Paysera's SCA page.
func (c *Client) FinishRedirect(ctx context.Context, o banks.Order, q url.Values) error {
	if e := q.Get("error"); e != "" {
		return &banks.Error{Status: 400, Code: e, Message: "refused at Paysera", Denied: true}
	}
	return nil
}

// Status reads the payment.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	var out struct {
		TransactionStatus string `json:"transactionStatus"`
	}
	if err := c.authed(ctx, o, "GET", "/v1/payments/sepa-credit-transfers/"+url.PathEscape(o.PaymentID), &out); err != nil {
		return "", fmt.Errorf("paysera: status: %w", err)
	}
	return out.TransactionStatus, nil
}

// Cancel deletes the payment: 204 done, 405 too late (a CANCELLATION_INVALID error), 404 unknown.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	if o.PaymentID == "" {
		return nil // the shopper never got past authorising us: nothing exists at Paysera
	}
	return c.authed(ctx, o, "DELETE", "/v1/payments/sepa-credit-transfers/"+url.PathEscape(o.PaymentID), nil)
}

// call sends one request with Digest and X-Request-ID, retrying 429/500/502/503/504 with
// exponential backoff (a create only on 429 and 503), and spacing calls out when the
// X-RateLimit headers say less than 20 % is left.
func (c *Client) call(ctx context.Context, token, method, path string, psu banks.PSU, extra map[string]string, in, out any, create bool) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	var lastErr error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		c.mu.Lock()
		wait := time.Until(c.slowUntil)
		c.mu.Unlock()
		if wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, c.cfg.APIURL+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		xid := uuid.NewString()
		req.Header.Set("X-Request-ID", xid)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("PSU-IP-Address", psu.IPAddress)
		if psu.UserAgent != "" {
			req.Header.Set("PSU-User-Agent", psu.UserAgent)
		}
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Digest", httpsig.Digest(body))
		}
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		start := time.Now()
		resp, err := c.cfg.HTTPClient.Do(req)
		log := banks.CallLog{Logger: c.cfg.Logger, Provider: "paysera", Method: method, Path: req.URL.Path, XRequestID: xid, Attempt: attempt}
		if err != nil {
			log.Log(ctx, slog.LevelWarn, "bank call failed", slog.String("error", err.Error()))
			lastErr = &banks.Error{Message: "no answer from Paysera", Retryable: true}
			if create || ctx.Err() != nil {
				return lastErr
			}
			banks.Wait(ctx, c.cfg.Backoff, attempt, 0)
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		c.noteRateLimit(resp.Header)
		log.Log(ctx, slog.LevelInfo, "bank call", slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)))
		if resp.StatusCode < 300 {
			if out != nil && len(data) > 0 {
				return json.Unmarshal(data, out)
			}
			return nil
		}
		be := &banks.Error{Status: resp.StatusCode}
		switch resp.StatusCode {
		case 429, 500, 502, 503, 504:
			be.Retryable = true
		}
		var e struct {
			TPPMessages []struct{ Code, Text string } `json:"tppMessages"`
		}
		if json.Unmarshal(data, &e) == nil && len(e.TPPMessages) > 0 {
			be.Code, be.Message = e.TPPMessages[0].Code, e.TPPMessages[0].Text
		} else {
			be.Message = http.StatusText(resp.StatusCode)
		}
		lastErr = be
		if !be.Retryable || (create && resp.StatusCode != 429 && resp.StatusCode != 503) {
			return be
		}
		if attempt < c.cfg.MaxAttempts {
			banks.Wait(ctx, c.cfg.Backoff, attempt, banks.RetryAfter(resp.Header))
		}
	}
	return lastErr
}

// noteRateLimit spaces calls evenly over the rest of the window once less than 20 % remains.
func (c *Client) noteRateLimit(h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.Atoi(h.Get("X-RateLimit-Reset"))
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if remaining*5 < limit {
		gap := time.Duration(reset) * time.Second / time.Duration(max(remaining, 1))
		c.slowUntil = time.Now().Add(min(gap, 2*time.Second))
	} else {
		c.slowUntil = time.Time{}
	}
}

// SlowedDown reports whether the next call will wait for the rate limit, for tests.
func (c *Client) SlowedDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Before(c.slowUntil)
}
