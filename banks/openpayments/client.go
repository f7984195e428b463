// Package openpayments connects paybybank to the Open Payments platform, one NextGenPSD2
// (Berlin Group) API in front of many Nordic banks, chosen per request with X-BicFi.
// See protocols/openpayments.md. Its fake lives in openpaymentstest.
package openpayments

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"paybybank/banks"
	"paybybank/banks/bankid"
)

// Config is what the connector needs; hosts are configurable so tests and the sandbox use the fake.
type Config struct {
	ClientID     string
	ClientSecret string
	AuthURL      string // e.g. https://auth.openbankingplatform.com; the token URL is AuthURL + /connect/token
	APIURL       string // e.g. https://api.openbankingplatform.com; paths are under APIURL + /psd2
	Countries    []string
	// HTTPClient carries the time-outs and, in production, the client certificate (mutual TLS).
	HTTPClient *http.Client
	// MaxAttempts bounds tries of one call on 429/5xx; Backoff is the first wait, doubled each time.
	MaxAttempts int
	Backoff     time.Duration
	// BankListTTL is how long the bank list is cached.
	BankListTTL time.Duration
	Logger      *slog.Logger
	// Name overrides the provider name (the sandbox mounts the fake as "openpayments" too).
	Name string
}

// Client is the Open Payments provider.
type Client struct {
	cfg Config

	tokMu  sync.Mutex
	tokens map[string]oauth2.TokenSource // per scope; ReuseTokenSource renews one at a time

	mu        sync.Mutex
	banks     []banks.Bank
	banksTime time.Time
}

var _ banks.Provider = (*Client)(nil)

// Scopes used by the connector.
const (
	ScopePayments = "paymentinitiation private"
	ScopeBankList = "aspspinformation private"
	ScopeAccounts = "accountinformation private"
)

// New returns a connector for cfg.
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
	if cfg.BankListTTL == 0 {
		cfg.BankListTTL = 6 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Name == "" {
		cfg.Name = "openpayments"
	}
	if len(cfg.Countries) == 0 {
		cfg.Countries = []string{"SE", "FI", "NO", "DK"}
	}
	return &Client{cfg: cfg, tokens: map[string]oauth2.TokenSource{}}
}

// token returns a valid access token for scope, cached and renewed a minute before expiry, as
// the platform asks; concurrent callers share one renewal.
func (c *Client) token(scope string) (*oauth2.Token, error) {
	c.tokMu.Lock()
	ts := c.tokens[scope]
	if ts == nil {
		cc := &clientcredentials.Config{
			ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
			TokenURL: strings.TrimRight(c.cfg.AuthURL, "/") + "/connect/token",
			Scopes:   strings.Fields(scope), AuthStyle: oauth2.AuthStyleInParams,
		}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.cfg.HTTPClient)
		ts = oauth2.ReuseTokenSourceWithExpiry(nil, cc.TokenSource(ctx), time.Minute)
		c.tokens[scope] = ts
	}
	c.tokMu.Unlock()
	return ts.Token()
}

// dropToken forgets a token the platform no longer accepts, so the next call fetches a new one.
func (c *Client) dropToken(scope string) {
	c.tokMu.Lock()
	delete(c.tokens, scope)
	c.tokMu.Unlock()
}

// Name is the provider's name.
func (c *Client) Name() string { return c.cfg.Name }

// countryCurrency is the home currency of each country the platform serves; banks also take EUR.
var countryCurrency = map[string]string{"SE": "SEK", "NO": "NOK", "DK": "DKK", "FI": "EUR"}

// Banks lists the platform's banks in the configured countries, cached for BankListTTL.
func (c *Client) Banks(ctx context.Context) ([]banks.Bank, error) {
	c.mu.Lock()
	if c.banks != nil && time.Since(c.banksTime) < c.cfg.BankListTTL {
		defer c.mu.Unlock()
		return c.banks, nil
	}
	c.mu.Unlock()
	var out []banks.Bank
	for _, country := range c.cfg.Countries {
		var list []ASPSP
		if err := c.call(ctx, call{method: "GET", path: "/aspspinformation/v1/aspsps?isoCountryCodes=" + url.QueryEscape(country),
			scope: ScopeBankList}, &list); err != nil {
			return nil, fmt.Errorf("openpayments: bank list %s: %w", country, err)
		}
		for _, a := range list {
			prof := ProfileFor(a.BICFI)
			currencies := prof.Currencies
			if len(currencies) == 0 {
				currencies = []string{"EUR"}
				if cur := countryCurrency[country]; cur != "" && cur != "EUR" {
					currencies = []string{cur, "EUR"}
				}
			}
			limits := map[string]int{}
			for _, cur := range currencies {
				limits[cur] = prof.RemittanceLimit(product(cur), false)
			}
			b := banks.Bank{BIC: a.BICFI, Name: a.Name, Country: country, Provider: c.cfg.Name,
				Currencies: currencies, LogoURL: a.LogoURL, DebtorAccount: prof.DebtorAccount, DebtorFormat: prof.DebtorFormat,
				ReferenceLimits: limits, SameBankLimit: prof.MaxRemittanceSameBank, CreditorAddressOutside: prof.CreditorAddressOutside}
			out = append(out, b)
			for _, af := range prof.Affiliates {
				ab := b
				ab.Affiliate, ab.Name = af.ID, af.Name
				out = append(out, ab)
			}
		}
	}
	c.mu.Lock()
	c.banks, c.banksTime = out, time.Now()
	c.mu.Unlock()
	return out, nil
}

func product(currency string) string {
	if currency == "EUR" {
		return "sepa-credit-transfers"
	}
	return "domestic"
}

func account(format string, a banks.Account) AccountReference {
	switch format {
	case "bban+clearing":
		return AccountReference{ClearingNumber: a.ClearingNumber, BBAN: a.BBAN, Currency: a.Currency}
	case "bban":
		return AccountReference{BBAN: a.BBAN, Currency: a.Currency}
	}
	return AccountReference{IBAN: a.IBAN, Currency: a.Currency}
}

// CreatePayment creates the payment with the bank's account formats.
func (c *Client) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	prof := ProfileFor(req.BIC)
	prod := product(req.Currency)
	body := PaymentInitiation{
		InstructedAmount:                  Amount{Currency: req.Currency, Amount: req.Amount},
		CreditorName:                      req.CreditorName,
		CreditorAccount:                   account(prof.CreditorFormat, req.Creditor),
		RemittanceInformationUnstructured: req.Reference,
	}
	if req.Debtor != nil {
		d := account(prof.DebtorFormat, *req.Debtor)
		body.DebtorAccount = &d
	}
	if a := req.CreditorAddress; a != nil {
		body.CreditorAddress = &Address{StreetName: a.Street, PostCode: a.PostCode, TownName: a.Town, Country: a.Country}
	}
	var out PaymentCreated
	if err := c.call(ctx, call{method: "POST", path: "/paymentinitiation/v1/payments/" + prod, scope: ScopePayments,
		bic: req.BIC, affiliate: req.Affiliate, psu: req.PSU, body: body, create: true}, &out); err != nil {
		return nil, fmt.Errorf("openpayments: create payment: %w", err)
	}
	if out.PaymentID == "" {
		return nil, fmt.Errorf("openpayments: create payment: no paymentId in answer")
	}
	created := &banks.Created{PaymentID: out.PaymentID, Product: prod, BankStatus: out.TransactionStatus}
	if req.Affiliate != "" {
		created.Extra = map[string]string{"affiliate": req.Affiliate}
	}
	return created, nil
}

// paymentPath is the resource an order's authorisations hang off: a payment, or a consent.
func (c *Client) paymentPath(o banks.Order) string {
	if o.Product == banks.ConsentProduct {
		return "/consent/v1/consents/" + url.PathEscape(o.PaymentID)
	}
	return "/paymentinitiation/v1/payments/" + url.PathEscape(o.Product) + "/" + url.PathEscape(o.PaymentID)
}

func scopeFor(o banks.Order) string {
	if o.Product == banks.ConsentProduct {
		return ScopeAccounts
	}
	return ScopePayments
}

// CreateConsent asks the bank for access to the list of the shopper's accounts, once, for today.
func (c *Client) CreateConsent(ctx context.Context, bic string, psu banks.PSU) (string, error) {
	body := Consent{Access: map[string]any{"availableAccounts": "allAccounts"}, RecurringIndicator: false,
		ValidUntil: time.Now().UTC().Format("2006-01-02"), FrequencyPerDay: 1}
	var out struct {
		ConsentID string `json:"consentId"`
	}
	if err := c.call(ctx, call{method: "POST", path: "/consent/v1/consents", scope: ScopeAccounts, bic: bic, psu: psu, body: body}, &out); err != nil {
		return "", fmt.Errorf("openpayments: create consent: %w", err)
	}
	if out.ConsentID == "" {
		return "", fmt.Errorf("openpayments: create consent: no consentId in answer")
	}
	return out.ConsentID, nil
}

// Accounts reads the shopper's accounts under an authorised consent.
func (c *Client) Accounts(ctx context.Context, o banks.Order) ([]banks.AccountInfo, error) {
	var out struct {
		Accounts []AccountDetails `json:"accounts"`
	}
	if err := c.call(ctx, call{method: "GET", path: "/accountinformation/v1/accounts", scope: ScopeAccounts, bic: o.BIC, affiliate: o.Extra["affiliate"], psu: o.PSU,
		consent: o.PaymentID}, &out); err != nil {
		return nil, fmt.Errorf("openpayments: accounts: %w", err)
	}
	var list []banks.AccountInfo
	for _, a := range out.Accounts {
		list = append(list, banks.AccountInfo{Name: a.Name, IBAN: a.IBAN, BBAN: a.BBAN, Currency: a.Currency})
	}
	return list, nil
}

// StartSCA starts an authorisation, chooses the SCA method for the device and triggers it.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	var started Authorisation
	if err := c.call(ctx, call{method: "POST", path: c.paymentPath(o) + "/authorisations", scope: scopeFor(o),
		bic: o.BIC, affiliate: o.Extra["affiliate"], psu: o.PSU}, &started); err != nil {
		return nil, fmt.Errorf("openpayments: start authorisation: %w", err)
	}
	if started.AuthorisationID == "" {
		return nil, fmt.Errorf("openpayments: start authorisation: no authorisationId in answer")
	}
	method := chooseMethod(started.SCAMethods, req.Mobile)
	update := c.paymentPath(o) + "/authorisations/" + url.PathEscape(started.AuthorisationID)
	if l, ok := started.Links["authoriseTransaction"]; ok && l.Href != "" {
		update = l.Href // the link is authoritative
	}
	var chosen Authorisation
	hdr, err := c.callHeader(ctx, call{method: "PUT", path: update, scope: scopeFor(o), bic: o.BIC, affiliate: o.Extra["affiliate"], psu: o.PSU,
		body: SelectMethod{AuthenticationMethodID: method}}, &chosen)
	if err != nil {
		return nil, fmt.Errorf("openpayments: select SCA method: %w", err)
	}
	sca := toSCA(&chosen, method)
	sca.AuthorisationID = started.AuthorisationID
	switch strings.ToUpper(hdr.Get("ASPSP-SCA-Approach")) {
	case "DECOUPLED":
		sca.Approach = banks.Decoupled
	case "REDIRECT":
		sca.Approach = banks.Redirect
		sca.Extra = map[string]string{}
		if l, ok := chosen.Links["scaOAuth"]; ok && l.Href != "" {
			r := strings.NewReplacer("[CLIENT_ID]", url.QueryEscape(c.cfg.ClientID),
				"[TPP_REDIRECT_URI]", url.QueryEscape(req.RedirectURI), "[TPP_STATE]", url.QueryEscape(req.State))
			sca.RedirectURL = r.Replace(l.Href)
			sca.Extra["oauth"] = "1"
			sca.Extra["redirect_uri"] = req.RedirectURI
		} else if l, ok := chosen.Links["scaRedirect"]; ok && l.Href != "" {
			sca.RedirectURL = l.Href
		} else {
			return nil, fmt.Errorf("openpayments: REDIRECT approach without scaOAuth or scaRedirect link")
		}
	default:
		return nil, fmt.Errorf("openpayments: unsupported SCA approach %q", hdr.Get("ASPSP-SCA-Approach"))
	}
	return sca, nil
}

// chooseMethod prefers, on desktop, animated QR token > animated QR image > legacy mbid;
// on a phone, same device > legacy mbid. Banks with one (redirect) method get that one.
func chooseMethod(methods []SCAMethod, mobile bool) string {
	order := []string{MethodAnimatedQRToken, MethodAnimatedQRImage, MethodLegacy}
	if mobile {
		order = []string{MethodSameDevice, MethodLegacy, MethodAnimatedQRToken, MethodAnimatedQRImage}
	}
	for _, want := range order {
		for _, m := range methods {
			if m.AuthenticationMethodID == want {
				return want
			}
		}
	}
	if len(methods) > 0 {
		return methods[0].AuthenticationMethodID
	}
	return ""
}

func toSCA(a *Authorisation, method string) *banks.SCA {
	sca := &banks.SCA{Method: method, Status: a.SCAStatus}
	switch a.SCAStatus {
	case "finalised", "exempted":
		sca.Finalised = true
	case "failed":
		sca.Failed = true
	}
	if cd := a.ChallengeData; cd != nil && !sca.Finalised && !sca.Failed {
		switch {
		case cd.Image != "":
			sca.QRImage, _ = base64.StdEncoding.DecodeString(cd.Image)
		case len(cd.Data) > 0 && (method == MethodSameDevice):
			sca.AutostartToken = cd.Data[0]
		case len(cd.Data) > 0 && method == MethodLegacy:
			sca.AutostartToken = cd.Data[0]
			sca.QRData = bankid.LegacyQR(cd.Data[0])
		case len(cd.Data) > 0:
			sca.QRData = cd.Data[0]
		}
	}
	if a.PSUMessage != "" {
		sca.Extra = map[string]string{"hint": a.PSUMessage}
	}
	return sca
}

// PollSCA reads the authorisation's status and fresh challenge.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	var a Authorisation
	if err := c.call(ctx, call{method: "GET", path: c.paymentPath(o) + "/authorisations/" + url.PathEscape(o.AuthorisationID),
		scope: scopeFor(o), bic: o.BIC, affiliate: o.Extra["affiliate"], psu: o.PSU}, &a); err != nil {
		return nil, fmt.Errorf("openpayments: poll authorisation: %w", err)
	}
	sca := toSCA(&a, o.Extra["method"])
	sca.AuthorisationID = o.AuthorisationID
	return sca, nil
}

// FinishRedirect handles the bank's return: an error means the shopper was refused or
// refused; with scaOAuth the code is exchanged at the token endpoint, binding it to the payment.
func (c *Client) FinishRedirect(ctx context.Context, o banks.Order, q url.Values) error {
	if e := q.Get("error"); e != "" {
		return &banks.Error{Status: 400, Code: e, Message: q.Get("error_description"), Denied: e == "access_denied"}
	}
	if o.Extra["oauth"] != "1" {
		return nil // plain scaRedirect: nothing to exchange, the status poll confirms
	}
	code := q.Get("code")
	if code == "" {
		return &banks.Error{Status: 400, Code: "invalid_request", Message: "callback without code"}
	}
	form := url.Values{
		"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}, "code": {code},
		"redirect_uri": {o.Extra["redirect_uri"]}, "scope": {q.Get("scope")}, "grant_type": {"authorization_code"},
	}
	// Hand-written rather than oauth2.Config.Exchange: the platform needs the X-PaymentId and
	// X-PaymentAuthorisationId headers on this one request, which the oauth2 package cannot add.
	var tok Token
	err := c.do(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(c.cfg.AuthURL, "/")+"/connect/token", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-PaymentId", o.PaymentID)
		req.Header.Set("X-PaymentAuthorisationId", o.AuthorisationID)
		return req, nil
	}, false, &tok)
	if err != nil {
		return fmt.Errorf("openpayments: exchange code: %w", err)
	}
	if tok.AccessToken == "" {
		return fmt.Errorf("openpayments: exchange code: no access token: SCA not confirmed")
	}
	return nil
}

// Status reads the payment's transaction status.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	var st TransactionStatus
	if err := c.call(ctx, call{method: "GET", path: c.paymentPath(o) + "/status", scope: ScopePayments, bic: o.BIC, affiliate: o.Extra["affiliate"], psu: o.PSU}, &st); err != nil {
		return "", fmt.Errorf("openpayments: status: %w", err)
	}
	if st.TransactionStatus == "" {
		return "", fmt.Errorf("openpayments: status: empty transactionStatus")
	}
	return st.TransactionStatus, nil
}

// Cancel deletes the payment at the bank.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	if err := c.call(ctx, call{method: "DELETE", path: c.paymentPath(o), scope: ScopePayments, bic: o.BIC, affiliate: o.Extra["affiliate"], psu: o.PSU}, nil); err != nil {
		return fmt.Errorf("openpayments: cancel: %w", err)
	}
	return nil
}

type call struct {
	method, path, scope, bic string
	psu                      banks.PSU
	body                     any
	create                   bool   // a payment creation: retried only when the bank surely did not act (429, 503)
	consent                  string // Consent-ID for account information
	affiliate                string // X-AffiliatedASPSP-ID
}

func (c *Client) call(ctx context.Context, cl call, out any) error {
	_, err := c.callHeader(ctx, cl, out)
	return err
}

func (c *Client) callHeader(ctx context.Context, cl call, out any) (http.Header, error) {
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return nil, err
		}
	}
	target := cl.path
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		if !strings.HasPrefix(target, "/psd2/") {
			target = "/psd2" + target
		}
		target = strings.TrimRight(c.cfg.APIURL, "/") + target
	}
	var hdr http.Header
	build := func() (*http.Request, error) {
		tok, err := c.token(cl.scope)
		if err != nil {
			return nil, &banks.Error{Status: 502, Code: "TOKEN", Message: err.Error(), Retryable: true}
		}
		req, err := http.NewRequestWithContext(ctx, cl.method, target, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		if cl.bic != "" {
			req.Header.Set("X-BicFi", cl.bic)
			if ProfileFor(cl.bic).Requires("TPP-Redirect-Preferred") {
				req.Header.Set("TPP-Redirect-Preferred", "false") // ask for decoupled, the same on every call
			}
		}
		if cl.psu.IPAddress != "" {
			req.Header.Set("PSU-IP-Address", cl.psu.IPAddress)
		}
		if cl.psu.UserAgent != "" {
			req.Header.Set("PSU-User-Agent", cl.psu.UserAgent)
		}
		if cl.consent != "" {
			req.Header.Set("Consent-ID", cl.consent)
		}
		if cl.affiliate != "" {
			req.Header.Set("X-AffiliatedASPSP-ID", cl.affiliate)
		}
		return req, nil
	}
	err := c.do(ctx, build, cl.create, &hdr, out)
	var be *banks.Error
	if errors.As(err, &be) && be.Status == http.StatusUnauthorized && be.Code == "TOKEN_INVALID" {
		// Revoked or expired early at the platform: one more try with a fresh token.
		c.dropToken(cl.scope)
		hdr = nil
		err = c.do(ctx, build, cl.create, &hdr, out)
	}
	return hdr, err
}

// do sends the request built by build (afresh for every try, each with its own X-Request-ID),
// retrying 429 and 5xx with exponential backoff and jitter, honouring Retry-After. Payment
// creations are retried only on 429 and 503, where the bank did not act.
func (c *Client) do(ctx context.Context, build func() (*http.Request, error), create bool, outs ...any) error {
	var hdrOut *http.Header
	var out any
	for _, o := range outs {
		if h, ok := o.(*http.Header); ok {
			hdrOut = h
		} else {
			out = o
		}
	}
	var lastErr error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		req, err := build()
		if err != nil {
			return err
		}
		xid := uuid.NewString()
		req.Header.Set("X-Request-ID", xid)
		start := time.Now()
		resp, err := c.cfg.HTTPClient.Do(req)
		log := banks.CallLog{Logger: c.cfg.Logger, Provider: c.cfg.Name, Method: req.Method, Path: req.URL.Path, XRequestID: xid, Attempt: attempt}
		if err != nil {
			log.Log(ctx, slog.LevelWarn, "bank call failed", slog.String("error", err.Error()), slog.Duration("took", time.Since(start)))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			lastErr = &banks.Error{Status: 0, Message: "no answer from the bank", Retryable: true}
			if create {
				return lastErr
			}
			banks.Wait(ctx, c.cfg.Backoff, attempt, 0)
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		log.Log(ctx, slog.LevelInfo, "bank call", slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)))
		if resp.StatusCode < 300 {
			if hdrOut != nil {
				*hdrOut = resp.Header
			}
			if out != nil && len(data) > 0 {
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("decode answer: %w", err)
				}
			}
			return nil
		}
		be := parseError(resp, data)
		lastErr = be
		if !be.Retryable || (create && resp.StatusCode != 429 && resp.StatusCode != 503) {
			return be
		}
		if attempt < c.cfg.MaxAttempts && !banks.Wait(ctx, c.cfg.Backoff, attempt, be.RetryIn) {
			return ctx.Err()
		}
	}
	return lastErr
}

// parseError reads either error format the platform uses: RFC 7807 or tppMessages.
func parseError(resp *http.Response, data []byte) *banks.Error {
	be := &banks.Error{Status: resp.StatusCode, Retryable: resp.StatusCode == 429 || resp.StatusCode >= 500}
	be.RetryIn = banks.RetryAfter(resp.Header)
	var p Problem
	if json.Unmarshal(data, &p) == nil {
		switch {
		case len(p.TPPMessages) > 0:
			be.Code, be.Message = p.TPPMessages[0].Code, p.TPPMessages[0].Text
			if p.TPPMessages[0].Path != "" {
				be.Message += " (" + p.TPPMessages[0].Path + ")"
			}
		case p.Code != "" || p.Detail != "" || p.Title != "":
			be.Code, be.Message = p.Code, p.Detail
			if be.Message == "" {
				be.Message = p.Title
			}
		}
		var oauthErr struct {
			Error string `json:"error"`
			Desc  string `json:"error_description"`
		}
		if be.Code == "" && json.Unmarshal(data, &oauthErr) == nil && oauthErr.Error != "" {
			be.Code, be.Message = oauthErr.Error, oauthErr.Desc
		}
	}
	if be.Message == "" {
		be.Message = http.StatusText(resp.StatusCode)
	}
	return be
}
