// Package powens connects paybybank to Powens Pay: the shopper validates the payment in Powens'
// hosted webview (bank choice and SCA there), comes back to our /callback, and we confirm the
// state with GET /payments/{id}. See protocols/powens-sibs.md and seed 002 ("Initiating a one-time
// payment with the Webview"). Every call goes through banks.Transport. Its fake is powenstest.
package powens

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

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
	// OnCall is told the outcome of every bank call (banks.Transport.OnCall); nil: nobody.
	OnCall func(banks.CallResult)
}

// Client is the Powens provider.
type Client struct {
	cfg Config
	api *banks.Transport

	tokenMu sync.Mutex
	token   string // the admin token (scope payments:admin)

	banks banks.BankCache
}

var _ banks.Provider = (*Client)(nil)

// New returns a Powens connector.
func New(cfg Config) *Client {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{cfg: cfg}
	c.api = &banks.Transport{OnCall: cfg.OnCall, Provider: "powens", BaseURL: cfg.BaseURL, Client: cfg.HTTPClient, Logger: cfg.Logger,
		MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff, Authenticate: c.authenticate, ParseError: parseError}
	return c
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
	return c.banks.Get(ctx, c.fetchBanks)
}

func (c *Client) fetchBanks(ctx context.Context) ([]banks.Bank, error) {
	var out struct {
		Connectors []Connector `json:"connectors"`
	}
	if _, err := c.api.Do(ctx, banks.Request{Method: "GET", Path: "/connectors?capabilities=payment"}, &out); err != nil {
		return nil, fmt.Errorf("powens: connectors: %w", err)
	}
	var list []banks.Bank
	for _, cn := range out.Connectors {
		// The connector's UUID rides in the Affiliate slot of the bank key, as "POWENSFR/<uuid>".
		list = append(list, banks.Bank{BIC: "POWENSFR", Affiliate: cn.UUID, Name: cn.Name, Country: cn.Country, Provider: "powens",
			Currencies: []string{"EUR"}, Approach: banks.Redirect, DebtorAccount: "at_bank", ReferenceLimits: map[string]int{"EUR": 140}})
	}
	return list, nil
}

// Payment is Powens' payment resource, as far as we read it. Seed 002 shows "id" as a number and
// "error_code" and "error_description" as null while there is no error; other fields are ignored.
type Payment struct {
	ID               int64  `json:"id"`
	State            string `json:"state"`
	ErrorCode        string `json:"error_code"`
	ErrorDescription string `json:"error_description"`
}

// paymentRequest is the body of POST /payments (seed 002 "Create a one-time payment").
type paymentRequest struct {
	RedirectURI   string        `json:"client_redirect_uri"`
	State         string        `json:"client_state"`
	Instructions  []instruction `json:"instructions"`
	PayerIdentity identity      `json:"payer_identity"`
}

type instruction struct {
	Label         string      `json:"label"`
	Amount        json.Number `json:"amount"`
	Currency      string      `json:"currency"`
	ExecutionType string      `json:"execution_date_type"`
	Beneficiary   struct {
		SchemeName     string `json:"scheme_name"`
		Identification string `json:"identification"`
		Label          string `json:"label"`
	} `json:"beneficiary"`
	BeneficiaryIdentity identity `json:"beneficiary_identity"`
}

// identity is Powens' IdentityRequest, of the corporate or the individual kind, as the seed's
// examples write them.
type identity struct {
	Kind           string `json:"kind"`
	OrgName        string `json:"org_name,omitempty"`
	OrgLegalStatus string `json:"org_legal_status,omitempty"`
	SchemeName     string `json:"scheme_name,omitempty"`
	Identification string `json:"identification,omitempty"`
	FirstName      string `json:"first_name,omitempty"`
	LastName       string `json:"last_name,omitempty"`
}

// scopedToken is the answer of POST /payments/{id}/scopedtoken.
type scopedToken struct {
	Token     string `json:"token"`
	Scope     string `json:"scope"`
	ExpiresIn int64  `json:"expires_in"`
	PaymentID int64  `json:"id_payment"`
}

// amountNumber writes an amount in cents as the JSON number Powens takes ("amount": 50.90),
// without passing through a float.
func amountNumber(minor int64) (json.Number, error) {
	if minor <= 0 {
		return "", fmt.Errorf("amount %d is not positive", minor)
	}
	return json.Number(fmt.Sprintf("%d.%02d", minor/100, minor%100)), nil
}

// CreatePayment creates the Powens payment, obtains its scoped validation token and returns the
// webview URL for the shopper. The URL carries a token: it is never logged.
func (c *Client) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	one := banks.BulkPayment{AmountMinor: req.AmountMinor, Amount: req.Amount, CreditorName: req.CreditorName,
		Creditor: req.Creditor, Reference: req.Reference}
	return c.create(ctx, req.Affiliate, req.Currency, req.RedirectURI, req.State, []banks.BulkPayment{one}, req.CreditorIdentity, req.Corporate)
}

// OffersBulk reports that every Powens connector takes a payment of several instructions: the
// bank is chosen in the webview, after the payment exists.
func (c *Client) OffersBulk(string) bool { return true }

// CreateBulkPayment creates one Powens payment of several instructions, validated at once in the
// webview (seed 002's index: "Initiating a bulk payment with the Webview"; the guide's own page is
// not in the seed, so the body is PaymentInitRequest's, whose instructions are a list). A bulk is
// always made for a company: its payer_identity is of kind corporate.
func (c *Client) CreateBulkPayment(ctx context.Context, req banks.BulkRequest) (*banks.Created, error) {
	if req.Corporate == nil {
		return nil, fmt.Errorf("powens: create bulk payment: the paying company is required")
	}
	return c.create(ctx, req.Affiliate, req.Currency, req.RedirectURI, req.State, req.Payments, nil, req.Corporate)
}

var _ banks.BulkInitiator = (*Client)(nil)

// create makes the payment, its scoped token and the webview URL. A payer acting for a company
// (corporate) is a corporate payer_identity, and the beneficiaries are the people it pays (an
// individual's first and last names); otherwise, as at checkout, the merchant is the beneficiary
// and, since we know only the merchant, both identities carry its registration (seed 002: the
// identities "must contain information on either the payer … or the beneficiary").
func (c *Client) create(ctx context.Context, connector, currency, redirectURI, state string, pays []banks.BulkPayment,
	creditor *banks.Identity, corporate *banks.Corporate) (*banks.Created, error) {
	var payer identity
	if corporate != nil {
		id := corporate.Identity
		if id == nil || id.Scheme == "" || id.ID == "" || id.LegalStatus == "" || corporate.Name == "" {
			return nil, fmt.Errorf("powens: create payment: %w", ErrNoPayerIdentity)
		}
		payer = identity{Kind: "corporate", OrgName: corporate.Name, OrgLegalStatus: id.LegalStatus, SchemeName: id.Scheme, Identification: id.ID}
		for _, p := range pays {
			if _, _, err := personName(p.CreditorName); err != nil {
				return nil, fmt.Errorf("powens: create payment: %w", err)
			}
		}
	} else if creditor == nil || creditor.Scheme == "" || creditor.ID == "" || creditor.LegalStatus == "" {
		return nil, fmt.Errorf("powens: create payment: %w", banks.ErrNoCreditorIdentity)
	}
	var cn Connector
	if _, err := c.api.Do(ctx, banks.Request{Method: "GET", Path: "/connectors/" + url.PathEscape(connector)}, &cn); err != nil {
		return nil, fmt.Errorf("powens: connector: %w", err)
	}
	execution := "first_open_day"
	for _, t := range cn.ExecutionTypes {
		if t == "instant" {
			execution = "instant"
		}
	}
	body := paymentRequest{RedirectURI: redirectURI, State: state, PayerIdentity: payer}
	for _, p := range pays {
		amount, err := amountNumber(p.AmountMinor)
		if err != nil {
			return nil, fmt.Errorf("powens: create payment: %w", err)
		}
		ins := instruction{Label: p.Reference, Amount: amount, Currency: currency, ExecutionType: execution}
		if corporate != nil {
			first, last, err := personName(p.CreditorName)
			if err != nil {
				return nil, fmt.Errorf("powens: create payment: %w", err)
			}
			ins.BeneficiaryIdentity = identity{Kind: "individual", FirstName: first, LastName: last}
		} else {
			ins.BeneficiaryIdentity = identity{Kind: "corporate", OrgName: p.CreditorName, OrgLegalStatus: creditor.LegalStatus,
				SchemeName: creditor.Scheme, Identification: creditor.ID}
			body.PayerIdentity = ins.BeneficiaryIdentity
		}
		ins.Beneficiary.SchemeName, ins.Beneficiary.Identification, ins.Beneficiary.Label = "iban", p.Creditor.IBAN, p.CreditorName
		body.Instructions = append(body.Instructions, ins)
	}
	var p Payment
	if _, err := c.api.Do(ctx, banks.Request{Method: "POST", Path: "/payments", JSON: body, Create: true}, &p); err != nil {
		return nil, fmt.Errorf("powens: create payment: %w", err)
	}
	pid := strconv.FormatInt(p.ID, 10)
	var scoped scopedToken
	if _, err := c.api.Do(ctx, banks.Request{Method: "POST", Path: "/payments/" + pid + "/scopedtoken",
		JSON: map[string][]string{"scope": {"payments:validate"}}}, &scoped); err != nil {
		return nil, fmt.Errorf("powens: scoped token: %w", err)
	}
	// Seed 002 "Build the payment validation URL": exactly these parameters. The bank is chosen in
	// the webview, whatever our picker showed.
	q := url.Values{"client_id": {c.cfg.ClientID}, "redirect_uri": {redirectURI}, "state": {state},
		"code": {scoped.Token}, "payment_id": {pid}}
	return &banks.Created{PaymentID: pid, Product: "powens", BankStatus: stateCode(p),
		RedirectURL: c.cfg.BaseURL + "/auth/webview/payment?" + q.Encode()}, nil
}

// ErrNoPayerIdentity means a company pays (a refund) and its registration (name, scheme, number,
// legal status), which Powens' corporate payer_identity requires, is unknown.
var ErrNoPayerIdentity error = &banks.Error{Status: 422, Code: "payer_identity_required",
	Message: "the paying company has no registered identity (name, scheme, number, legal status), which Powens requires"}

// personName splits a person's name into the first and last names an individual identity needs
// (seed 002's examples: first_name "Jean", last_name "Dupont"); the last word is the last name.
func personName(name string) (first, last string, err error) {
	words := strings.Fields(name)
	if len(words) < 2 {
		return "", "", &banks.Error{Status: 422, Code: "beneficiary_name_incomplete",
			Message: "Powens needs the beneficiary's first and last names; " + strconv.Quote(name) + " is one word"}
	}
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1], nil
}

// StartSCA is not used: the webview URL comes with the payment.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	return nil, fmt.Errorf("powens: SCA starts in the webview")
}

// PollSCA is not used: the state is confirmed with Status.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	return nil, fmt.Errorf("powens: no SCA resource")
}

// FinishRedirect reads what Powens sent back to our callback. Only id_payment is sure to be there
// and nothing in it is trusted: error=cancelled ("the payer has cancelled the payment from our
// Webview", seed 002) is confirmed with GET /payments/{id}, which may still say "created" or
// already "rejected"; either way the shopper cancelled. Without it, the caller confirms the state.
func (c *Client) FinishRedirect(ctx context.Context, o banks.Order, q url.Values) error {
	if id := q.Get("id_payment"); id != "" && id != o.PaymentID {
		return &banks.Error{Status: 400, Code: "payment_mismatch", Message: "the callback is for another payment"}
	}
	if q.Get("error") != "cancelled" {
		return nil
	}
	p, err := c.payment(ctx, o.PaymentID)
	if err != nil {
		return err
	}
	switch p.State {
	case "created", "rejected", "expired":
		return &banks.Error{Code: "cancelled", Message: "the shopper cancelled in the Powens webview", Cancelled: true}
	}
	return nil // the payment went on at the bank after all: its state decides
}

// stateCode maps a Powens payment state onto an ISO 20022 transaction status (seed 002 "Process
// the payment status"). A rejection whose error_code is "cancelled" was the payer's cancel (the
// callback's error_code is the code "if the payment has been cancelled or rejected by the bank").
func stateCode(p Payment) string {
	switch p.State {
	case "done":
		return "ACSC"
	case "accepted":
		return "ACCP" // initiated; the bank gives no further updates
	case "rejected", "expired":
		if p.State == "rejected" && p.ErrorCode == "cancelled" {
			return "CANC"
		}
		return "RJCT"
	case "cancelled":
		return "CANC"
	}
	return "PDNG" // created, validating, pending: wait
}

func (c *Client) payment(ctx context.Context, id string) (Payment, error) {
	var p Payment
	if _, err := c.api.Do(ctx, banks.Request{Method: "GET", Path: "/payments/" + url.PathEscape(id)}, &p); err != nil {
		return p, fmt.Errorf("powens: payment: %w", err)
	}
	return p, nil
}

// Status confirms the payment's state with Powens.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	p, err := c.payment(ctx, o.PaymentID)
	if err != nil {
		return "", err
	}
	return stateCode(p), nil
}

// Cancel is not offered by Powens Pay for a payment in validation: the payment simply expires.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error { return nil }

// authenticate puts the admin token on a call, fetching one (seed 002 "Obtain a token suitable for
// creating payments") through the transport, with its retries and log, when there is none yet or
// Powens refused the last one.
func (c *Client) authenticate(ctx context.Context, req *http.Request, scope string, refresh bool) error {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token == "" || refresh {
		var tok struct {
			Token string `json:"token"`
			Scope string `json:"scope"`
		}
		_, err := c.api.Do(ctx, banks.Request{Method: "POST", Path: "/auth/token", NoAuth: true, JSON: map[string]string{
			"grant_type": "client_credentials", "client_id": c.cfg.ClientID, "client_secret": c.cfg.ClientSecret, "scope": "payments:admin"}}, &tok)
		if err != nil {
			return fmt.Errorf("powens: admin token: %w", err)
		}
		if tok.Token == "" {
			return &banks.Error{Status: 502, Code: "token", Message: "Powens answered no token"}
		}
		c.token = tok.Token
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return nil
}

// parseError reads Powens' {code, description}. Our calls carry only our admin token (the shopper
// authorises in the webview), so any 401 says that token is no longer good: it is reported
// without a code, which the transport takes as "refresh the token once".
func parseError(status int, body []byte) *banks.Error {
	be := banks.ParseError(status, body)
	if status == http.StatusUnauthorized && be.Code != "" {
		be.Message, be.Code = be.Code+": "+be.Message, ""
	}
	return be
}
