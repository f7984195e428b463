// Package powens connects paybybank to Powens Pay: the shopper validates the payment in Powens'
// hosted webview (bank choice and SCA there), comes back to our /callback, and we confirm the
// state with GET /payments/{id}. See protocols/powens-sibs.md. Its fake is powenstest.
package powens

import (
	"bytes"
	"context"
	"encoding/json"
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

	"paybybank/banks"
)

// Config is what the connector needs.
type Config struct {
	BaseURL      string // https://{domain}.biapi.pro/2.0
	ClientID     string
	ClientSecret string
	HTTPClient   *http.Client
	Logger       *slog.Logger
	MaxAttempts  int
	Backoff      time.Duration
	// Beneficiary identity: Powens wants to know who is paid.
	OrgLegalStatus string
}

// Client is the Powens provider.
type Client struct {
	cfg Config

	mu      sync.Mutex
	token   string
	banks   []banks.Bank
	banksAt time.Time
}

var _ banks.Provider = (*Client)(nil)

// New returns a Powens connector.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg}
}

// Name is "powens".
func (c *Client) Name() string { return "powens" }

// Connector is a bank in Powens' list.
type Connector struct {
	UUID                  string   `json:"uuid"`
	Name                  string   `json:"name"`
	Country               string   `json:"country"`
	Capabilities          []string `json:"capabilities"`
	ExecutionTypes        []string `json:"available_execution_types"`
	PartialStatusTracking bool     `json:"partial_status_tracking"`
}

// Banks lists the connectors with Pay enabled, cached for an hour.
func (c *Client) Banks(ctx context.Context) ([]banks.Bank, error) {
	c.mu.Lock()
	if c.banks != nil && time.Since(c.banksAt) < time.Hour {
		defer c.mu.Unlock()
		return c.banks, nil
	}
	c.mu.Unlock()
	var out struct {
		Connectors []Connector `json:"connectors"`
	}
	if err := c.do(ctx, "GET", "/connectors?capabilities=payment", nil, &out); err != nil {
		return nil, fmt.Errorf("powens: connectors: %w", err)
	}
	var list []banks.Bank
	for _, cn := range out.Connectors {
		// The connector's UUID rides in the Affiliate slot of the bank key, as "POWENSFR/<uuid>".
		list = append(list, banks.Bank{BIC: "POWENSFR", Affiliate: cn.UUID, Name: cn.Name, Country: cn.Country, Provider: "powens",
			Currencies: []string{"EUR"}, Approach: banks.Redirect, DebtorAccount: "at_bank", ReferenceLimits: map[string]int{"EUR": 140}})
	}
	c.mu.Lock()
	c.banks, c.banksAt = list, time.Now()
	c.mu.Unlock()
	return list, nil
}

func (c *Client) connector(ctx context.Context, id string) (Connector, error) {
	var cn Connector
	err := c.do(ctx, "GET", "/connectors/"+url.PathEscape(id), nil, &cn)
	return cn, err
}

// Payment is Powens' payment resource, as far as we read it.
type Payment struct {
	ID               int64  `json:"id"`
	State            string `json:"state"`
	ErrorCode        string `json:"error_code"`
	ErrorDescription string `json:"error_description"`
}

// CreatePayment creates the Powens payment, obtains its scoped validation token and returns the
// webview URL for the shopper. The URL carries a token: it is never logged.
func (c *Client) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	cn, err := c.connector(ctx, req.Affiliate)
	if err != nil {
		return nil, fmt.Errorf("powens: connector: %w", err)
	}
	execution := "first_open_day"
	for _, t := range cn.ExecutionTypes {
		if t == "instant" {
			execution = "instant"
		}
	}
	body := map[string]any{
		"client_redirect_uri": req.RedirectURI,
		"client_state":        req.State,
		"instructions": []map[string]any{{
			"label": req.Reference,
			// Powens takes the amount as a JSON number: it is written from the decimal string, never via a float.
			"amount":              json.Number(req.Amount),
			"currency":            req.Currency,
			"execution_date_type": execution,
			"beneficiary":         map[string]string{"scheme_name": "iban", "identification": req.Creditor.IBAN, "label": req.CreditorName},
			"beneficiary_identity": map[string]string{"kind": "corporate", "org_name": req.CreditorName,
				"org_legal_status": c.cfg.OrgLegalStatus},
		}},
		"payer_identity": map[string]string{"kind": "individual"},
	}
	var p Payment
	if err := c.do(ctx, "POST", "/payments", body, &p); err != nil {
		return nil, fmt.Errorf("powens: create payment: %w", err)
	}
	var scoped struct {
		Token string `json:"token"`
	}
	if err := c.do(ctx, "POST", "/payments/"+strconv.FormatInt(p.ID, 10)+"/scopedtoken", map[string]any{"scope": []string{"payments:validate"}}, &scoped); err != nil {
		return nil, fmt.Errorf("powens: scoped token: %w", err)
	}
	q := url.Values{"client_id": {c.cfg.ClientID}, "redirect_uri": {req.RedirectURI}, "state": {req.State},
		"code": {scoped.Token}, "payment_id": {strconv.FormatInt(p.ID, 10)}, "connector_uuid": {cn.UUID}}
	return &banks.Created{PaymentID: strconv.FormatInt(p.ID, 10), Product: "powens", BankStatus: stateCode(p.State),
		RedirectURL: c.cfg.BaseURL + "/auth/webview/payment?" + q.Encode(),
		Extra:       map[string]string{"oauth": "0"}}, nil
}

// StartSCA is not used: the webview URL comes with the payment.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	return nil, fmt.Errorf("powens: SCA starts in the webview")
}

// PollSCA is not used: the state is confirmed with Status.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	return nil, fmt.Errorf("powens: no SCA resource")
}

// FinishRedirect reads what Powens sent back; it is never trusted, only used to tell a cancel
// in the webview apart. The state is confirmed with GET /payments/{id} by the caller.
func (c *Client) FinishRedirect(ctx context.Context, o banks.Order, q url.Values) error {
	if id := q.Get("id_payment"); id != "" && id != o.PaymentID {
		return &banks.Error{Status: 400, Code: "payment_mismatch", Message: "the callback is for another payment"}
	}
	if q.Get("error") == "cancelled" {
		return &banks.Error{Status: 400, Code: "cancelled", Message: "cancelled in the Powens webview", Denied: true}
	}
	return nil
}

// stateCode maps a Powens payment state onto an ISO 20022 transaction status.
func stateCode(state string) string {
	switch state {
	case "done":
		return "ACSC"
	case "accepted":
		return "ACCP" // initiated; the bank gives no further updates
	case "rejected", "expired":
		return "RJCT"
	case "cancelled":
		return "CANC"
	}
	return "PDNG" // created, validating, pending
}

// Status confirms the payment's state with Powens.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	var p Payment
	if err := c.do(ctx, "GET", "/payments/"+url.PathEscape(o.PaymentID), nil, &p); err != nil {
		return "", fmt.Errorf("powens: payment: %w", err)
	}
	return stateCode(p.State), nil
}

// Cancel is not offered by Powens Pay for a payment in validation: the payment simply expires.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error { return nil }

func (c *Client) adminToken(ctx context.Context, renew bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && !renew {
		return c.token, nil
	}
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": c.cfg.ClientID,
		"client_secret": c.cfg.ClientSecret, "scope": "payments:admin"})
	req, err := http.NewRequestWithContext(ctx, "POST", c.cfg.BaseURL+"/auth/token", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", &banks.Error{Message: "no answer from Powens", Retryable: true}
	}
	defer resp.Body.Close()
	var tok struct {
		Token string `json:"token"`
		Scope string `json:"scope"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tok) != nil || tok.Token == "" {
		return "", &banks.Error{Status: resp.StatusCode, Code: "token", Message: "Powens refused the client credentials", Retryable: resp.StatusCode >= 500}
	}
	c.token = tok.Token
	return c.token, nil
}

// do calls the API with the admin token, retrying 429 and 5xx with backoff (not payment creation
// after a 5xx, where Powens may have acted) and renewing the token once on 401.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	renewed := false
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		tok, err := c.adminToken(ctx, false)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		xid := uuid.NewString()
		req.Header.Set("X-Request-ID", xid)
		start := time.Now()
		resp, err := c.cfg.HTTPClient.Do(req)
		// Log the path only: query strings and webview URLs carry tokens.
		log := banks.CallLog{Logger: c.cfg.Logger, Provider: "powens", Method: method, Path: req.URL.Path, XRequestID: xid, Attempt: attempt}
		if err != nil {
			log.Log(ctx, slog.LevelWarn, "bank call failed", slog.String("error", err.Error()))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if method == "POST" && path == "/payments" {
				return &banks.Error{Message: "no answer from Powens", Retryable: true}
			}
			banks.Wait(ctx, c.cfg.Backoff, attempt, 0)
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		log.Log(ctx, slog.LevelInfo, "bank call", slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)))
		switch {
		case resp.StatusCode < 300:
			if out != nil {
				return json.Unmarshal(data, out)
			}
			return nil
		case resp.StatusCode == 401 && !renewed:
			renewed = true
			if _, err := c.adminToken(ctx, true); err != nil {
				return err
			}
			attempt--
			continue
		}
		var e struct {
			Code        string `json:"code"`
			Description string `json:"description"`
			Message     string `json:"message"`
		}
		json.Unmarshal(data, &e)
		be := &banks.Error{Status: resp.StatusCode, Code: e.Code, Message: e.Description + e.Message,
			Retryable: resp.StatusCode == 429 || resp.StatusCode >= 500}
		if !be.Retryable || (method == "POST" && path == "/payments" && resp.StatusCode != 429 && resp.StatusCode != 503) || attempt == c.cfg.MaxAttempts {
			return be
		}
		banks.Wait(ctx, c.cfg.Backoff, attempt, banks.RetryAfter(resp.Header))
	}
	return &banks.Error{Message: "Powens did not answer", Retryable: true}
}
