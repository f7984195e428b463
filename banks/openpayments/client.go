// Package openpayments connects paybybank to the Open Payments platform, one NextGenPSD2
// (Berlin Group) API in front of many Nordic banks, chosen per request with X-BicFi.
// See protocols/openpayments.md. Its fake lives in openpaymentstest.
package openpayments

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"paybybank/banks"
	"paybybank/banks/bankid"
	"paybybank/payment"
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
	// OnCall is told the outcome of every bank call (banks.Transport.OnCall); nil: nobody.
	OnCall func(banks.CallResult)
}

// Client is the Open Payments provider.
type Client struct {
	cfg Config
	api *banks.Transport // the API under APIURL + /psd2
	// auth is the token host, for the code exchange the oauth2 package cannot make (it needs
	// the platform's X-PaymentId headers).
	auth *banks.Transport

	tokMu  sync.Mutex
	tokens map[string]oauth2.TokenSource // per scope; ReuseTokenSource renews one at a time

	banks banks.BankCache
}

var (
	_ banks.Provider      = (*Client)(nil)
	_ banks.PayerReporter = (*Client)(nil)
)

// Scopes used by the connector.
const (
	ScopePayments = "paymentinitiation private"
	// ScopePaymentsCorporate is payment initiation in the corporate context (yaml: every PIS
	// operation's security lists "paymentinitiation corporate"): a person paying for a company.
	ScopePaymentsCorporate = "paymentinitiation corporate"
	ScopeBankList          = "aspspinformation private"
	ScopeAccounts          = "accountinformation private"
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
	c := &Client{cfg: cfg, tokens: map[string]oauth2.TokenSource{}, banks: banks.BankCache{TTL: cfg.BankListTTL}}
	c.api = &banks.Transport{OnCall: cfg.OnCall, Provider: cfg.Name, BaseURL: strings.TrimRight(cfg.APIURL, "/") + "/psd2", Client: cfg.HTTPClient,
		Logger: cfg.Logger, MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff, Authenticate: c.authenticate}
	c.auth = &banks.Transport{OnCall: cfg.OnCall, Provider: cfg.Name, BaseURL: strings.TrimRight(cfg.AuthURL, "/"), Client: cfg.HTTPClient,
		Logger: cfg.Logger, MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff}
	return c
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
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.auth.OAuthClient())
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
	return c.banks.Get(ctx, c.fetchBanks)
}

func (c *Client) fetchBanks(ctx context.Context) ([]banks.Bank, error) {
	var out []banks.Bank
	for _, country := range c.cfg.Countries {
		var list ASPSPList
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
				Currencies: currencies, LogoURL: a.LogoURL, DebtorAccount: payment.DebtorNeed(prof.DebtorAccount), DebtorFormat: prof.DebtorFormat,
				ReferenceLimits: limits, SameBankLimit: prof.MaxRemittanceSameBank, CreditorAddressOutside: prof.CreditorAddressOutside,
				Products: products(country, currencies, prof.CreditorFormat)}
			out = append(out, b)
			for _, af := range prof.Affiliates {
				ab := b
				ab.Affiliate, ab.Name = af.ID, af.Name
				out = append(out, ab)
			}
		}
	}
	return out, nil
}

// products are the ways a bank of country pays, as CreatePayment asks for them: SEPA for EUR, to
// an IBAN anywhere; the domestic product for another currency, to an account in the bank's own
// country; the creditor's account always in the bank's creditor format.
func products(country string, currencies []string, creditorFormat string) []banks.Product {
	var out []banks.Product
	for _, cur := range currencies {
		p := banks.Product{Name: product(cur), Currencies: []string{cur}, CreditorFormat: creditorFormat}
		if p.Name == "domestic" {
			p.CreditorCountries = []string{country}
		}
		out = append(out, p)
	}
	return out
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
	scope, corporateID := corporateContext(req.Corporate)
	if err := c.call(ctx, call{method: "POST", path: "/paymentinitiation/v1/payments/" + prod, scope: scope,
		bic: req.BIC, affiliate: req.Affiliate, psu: req.PSU, corporateID: corporateID, body: body, create: true}, &out); err != nil {
		return nil, fmt.Errorf("openpayments: create payment: %w", err)
	}
	if out.PaymentID == "" {
		return nil, fmt.Errorf("openpayments: create payment: no paymentId in answer")
	}
	created := &banks.Created{PaymentID: out.PaymentID, Product: prod, BankStatus: out.TransactionStatus, Extra: map[string]string{}}
	keepContext(created.Extra, req.Corporate)
	keepLinks(created.Extra, out.Links)
	return created, nil
}

// paymentPath is the resource an order's authorisations hang off: a payment, or a consent.
func (c *Client) paymentPath(o banks.Order) string {
	if o.Product == banks.ConsentProduct {
		return "/consent/v1/consents/" + url.PathEscape(o.PaymentID)
	}
	service := "payments"
	if o.Extra[banks.ExtraService] == ServiceBulk {
		service = ServiceBulk
	}
	return "/paymentinitiation/v1/" + service + "/" + url.PathEscape(o.Product) + "/" + url.PathEscape(o.PaymentID)
}

// Links the bank gave, kept with the attempt (its Extra) to be followed in later calls.
const (
	linkStart     = "link_start"
	linkStatus    = "link_status"
	linkSelf      = "link_self"
	linkSCAStatus = "link_sca_status"
)

// keepLinks notes the links of a creation's answer that later calls follow.
func keepLinks(extra map[string]string, links banks.Links) {
	for key, names := range map[string][]string{
		linkStart:  {"startAuthorisation", "startAuthorisationWithAuthenticationMethodSelection", "startAuthorisationWithPsuIdentification"},
		linkStatus: {"status"},
		linkSelf:   {"self"},
	} {
		if href := links.Href(names...); href != "" {
			extra[key] = href
		}
	}
}

// resolve turns a link of the bank's into a URL to call; a link to another host is refused.
// "All links can be relative or full links" (the published document, _linksPaymentInitiation):
// a relative link that names /psd2/… is from the API's root, one such as the document's own
// example "/v1/payments/…" is from the service (paymentinitiation or consent).
func (c *Client) resolve(o banks.Order, href string) (string, error) {
	root := strings.TrimRight(c.cfg.APIURL, "/")
	if u, err := url.Parse(href); err == nil && !u.IsAbs() && u.Host == "" && !strings.HasPrefix(href, "/") {
		// The yaml's consent examples also write "v1/consents/…", without the leading slash:
		// from the service too, not from the last segment of its path.
		href = "/" + href
	}
	if strings.HasPrefix(href, "/psd2/") {
		return banks.ResolveLink(root, href)
	}
	service := "/psd2/paymentinitiation"
	if o.Product == banks.ConsentProduct {
		service = "/psd2/consent"
	}
	return banks.ResolveLink(root+service, href)
}

// follow is the link the bank gave under key, or the documented path where it gave none.
func (c *Client) follow(o banks.Order, key, path string) (string, error) {
	if href := o.Extra[key]; href != "" {
		return c.resolve(o, href)
	}
	return path, nil
}

func scopeFor(o banks.Order) string {
	if o.Product == banks.ConsentProduct {
		return ScopeAccounts
	}
	return paymentScope(o)
}

// paymentScope is the payment-initiation scope of an order: a payment created in the corporate
// context is followed in it (its token's scope) to the end.
func paymentScope(o banks.Order) string {
	if o.CorporateOrder() {
		return ScopePaymentsCorporate
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
	if err := c.call(ctx, call{method: "GET", path: "/accountinformation/v1/accounts", scope: ScopeAccounts, bic: o.BIC, affiliate: o.Affiliate, psu: o.PSU, corporateID: o.Extra[banks.ExtraCorporateID],
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
	start, err := c.follow(o, linkStart, c.paymentPath(o)+"/authorisations")
	if err != nil {
		return nil, fmt.Errorf("openpayments: start authorisation: %w", err)
	}
	var started Authorisation
	if err := c.call(ctx, call{method: "POST", path: start, scope: scopeFor(o),
		bic: o.BIC, affiliate: o.Affiliate, psu: o.PSU, corporateID: o.Extra[banks.ExtraCorporateID]}, &started); err != nil {
		return nil, fmt.Errorf("openpayments: start authorisation: %w", err)
	}
	if started.AuthorisationID == "" {
		return nil, fmt.Errorf("openpayments: start authorisation: no authorisationId in answer")
	}
	method := chooseMethod(started.SCAMethods, req.Mobile)
	// The link is authoritative (the seed posts to authoriseTransaction; the yaml names it
	// selectAuthenticationMethod; its startScaProcessResponseExample1 gives scaStatus only, the
	// authorisation resource itself); the documented path only where the bank gave none.
	update := c.paymentPath(o) + "/authorisations/" + url.PathEscape(started.AuthorisationID)
	if href := started.Links.Href("selectAuthenticationMethod", "authoriseTransaction", "updatePsuAuthentication", "scaStatus"); href != "" {
		if update, err = c.resolve(o, href); err != nil {
			return nil, fmt.Errorf("openpayments: select SCA method: %w", err)
		}
	}
	var chosen Authorisation
	resp, err := c.callResponse(ctx, call{method: "PUT", path: update, scope: scopeFor(o), bic: o.BIC, affiliate: o.Affiliate, psu: o.PSU, corporateID: o.Extra[banks.ExtraCorporateID],
		body: SelectMethod{AuthenticationMethodID: method}}, &chosen)
	if err != nil {
		return nil, fmt.Errorf("openpayments: select SCA method: %w", err)
	}
	sca, err := toSCA(&chosen, method)
	if err != nil {
		return nil, fmt.Errorf("openpayments: select SCA method: %w", err)
	}
	sca.AuthorisationID = started.AuthorisationID
	if sca.Extra == nil {
		sca.Extra = map[string]string{}
	}
	if href := cmp.Or(chosen.Links.Href("scaStatus"), started.Links.Href("scaStatus")); href != "" {
		sca.Extra[linkSCAStatus] = href
	}
	if sca.Approach, err = approachOf(resp.Header, &chosen); err != nil {
		return nil, fmt.Errorf("openpayments: select SCA method: %w", err)
	}
	switch sca.Approach {
	case banks.Decoupled:
		keepChallenge(sca.Extra, &chosen)
	case banks.Redirect:
		if href := chosen.Links.Href("scaOAuth"); href != "" {
			r := strings.NewReplacer("[CLIENT_ID]", url.QueryEscape(c.cfg.ClientID),
				"[TPP_REDIRECT_URI]", url.QueryEscape(req.RedirectURI), "[TPP_STATE]", url.QueryEscape(req.State))
			sca.RedirectURL = r.Replace(href)
			sca.Extra["oauth"] = "1"
			sca.Extra["redirect_uri"] = req.RedirectURI
		} else if href := chosen.Links.Href("scaRedirect"); href != "" {
			if sca.RedirectURL, err = banks.ResolveRedirect(c.api.BaseURL, href); err != nil {
				return nil, fmt.Errorf("openpayments: scaRedirect: %w", err)
			}
		} else {
			return nil, fmt.Errorf("openpayments: REDIRECT approach without scaOAuth or scaRedirect link")
		}
	}
	return sca, nil
}

// approachOf is the SCA approach of the answer to the method selection. The seed (step 4) reads
// the ASPSP-SCA-Approach header, but the yaml makes that header optional (required: false) and
// carries the approach in no body field; without the header the body shows it: a challenge to
// show the shopper (challengeData.data or .image) is decoupled, a scaOAuth or scaRedirect link is
// a redirect. An embedded one-time code (challengeData with otpMaxLength only) is neither.
func approachOf(h http.Header, a *Authorisation) (payment.Approach, error) {
	switch v := strings.ToUpper(h.Get("ASPSP-SCA-Approach")); v {
	case "DECOUPLED":
		return banks.Decoupled, nil
	case "REDIRECT":
		return banks.Redirect, nil
	case "":
	default:
		return "", fmt.Errorf("unsupported SCA approach %q", v)
	}
	switch {
	case a.Links.Href("scaOAuth", "scaRedirect") != "":
		return banks.Redirect, nil
	case a.ChallengeData != nil && (len(a.ChallengeData.Data) > 0 || a.ChallengeData.Image != ""):
		return banks.Decoupled, nil
	}
	return "", fmt.Errorf("no ASPSP-SCA-Approach header, and neither a challenge nor a scaOAuth or scaRedirect link in the answer")
}

// Where the challenge of the method selection is kept with the attempt (its Extra): the yaml's
// answer to a poll (scaStatusResponse) is the scaStatus only, so without a fresh challenge the
// shopper keeps the one they were given while the authorisation stays as it was.
const (
	keptData   = "challenge_data"
	keptImage  = "challenge_image"
	keptStatus = "challenge_status"
)

func keepChallenge(extra map[string]string, a *Authorisation) {
	cd := a.ChallengeData
	if cd == nil {
		return
	}
	if len(cd.Data) > 0 {
		extra[keptData] = cd.Data[0]
	}
	if cd.Image != "" {
		extra[keptImage] = cd.Image
	}
	extra[keptStatus] = a.Status()
}

// keptChallenge is the challenge kept from the method selection, for a poll that carried none
// while the authorisation's status is still the one it came with; once the shopper has scanned
// or started (a new status) or SCA ended, there is nothing more to show.
func keptChallenge(extra map[string]string, a *Authorisation) *ChallengeData {
	if a.ChallengeData != nil || extra[keptStatus] == "" || extra[keptStatus] != a.Status() {
		return a.ChallengeData
	}
	if extra[keptData] == "" && extra[keptImage] == "" {
		return nil
	}
	cd := &ChallengeData{Image: extra[keptImage]}
	if d := extra[keptData]; d != "" {
		cd.Data = Strings{d}
	}
	return cd
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

func toSCA(a *Authorisation, method string) (*banks.SCA, error) {
	sca := &banks.SCA{Method: method, Status: a.Status()}
	switch payment.SCAStatus(sca.Status) {
	case payment.SCAFinalised, payment.SCAExempted:
		sca.Finalised = true
	case payment.SCAFailed:
		sca.Failed = true
	}
	if cd := a.ChallengeData; cd != nil && !sca.Finalised && !sca.Failed {
		switch {
		case cd.Image != "":
			img, err := decodePNG(cd.Image)
			if err != nil {
				return nil, err
			}
			sca.QRImage = img
		case len(cd.Data) > 0 && (method == MethodSameDevice):
			sca.AutostartToken = cd.Data[0]
		case len(cd.Data) > 0 && method == MethodLegacy:
			sca.AutostartToken = cd.Data[0]
			sca.QRData = bankid.LegacyQR(cd.Data[0])
		case len(cd.Data) > 0:
			sca.QRData = cd.Data[0]
		}
	}
	sca.Hint = a.PSUMessage
	return sca, nil
}

// pngSignature opens every PNG file (RFC 2083, section 3.1).
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// decodePNG reads challengeData.image: "PNG data … Base64 encoding, cf. [RFC4648]" (the yaml's
// schema challengeData). An image that is not one is an error, never a blank QR on the page.
func decodePNG(s string) ([]byte, error) {
	img, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if img, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return nil, fmt.Errorf("challengeData.image is not base64: %w", err)
		}
	}
	if !bytes.HasPrefix(img, pngSignature) {
		return nil, fmt.Errorf("challengeData.image is not a PNG")
	}
	return img, nil
}

// PollSCA reads the authorisation's status and fresh challenge.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	path, err := c.follow(o, linkSCAStatus, c.paymentPath(o)+"/authorisations/"+url.PathEscape(o.AuthorisationID))
	if err != nil {
		return nil, fmt.Errorf("openpayments: poll authorisation: %w", err)
	}
	var a Authorisation
	if err := c.call(ctx, call{method: "GET", path: path,
		scope: scopeFor(o), bic: o.BIC, affiliate: o.Affiliate, psu: o.PSU, corporateID: o.Extra[banks.ExtraCorporateID]}, &a); err != nil {
		return nil, fmt.Errorf("openpayments: poll authorisation: %w", err)
	}
	a.ChallengeData = keptChallenge(o.Extra, &a)
	sca, err := toSCA(&a, o.Method)
	if err != nil {
		return nil, fmt.Errorf("openpayments: poll authorisation: %w", err)
	}
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
	// The seed (step 5b) sends the scope the bank gave back with the code; a bank that gave
	// none gets the service the authorisation was for, as the scaOAuth link asked.
	scope := cmp.Or(q.Get("scope"), strings.Fields(scopeFor(o))[0])
	if code == "" {
		return &banks.Error{Status: 400, Code: "invalid_request", Message: "callback without code"}
	}
	form := url.Values{
		"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}, "code": {code},
		"redirect_uri": {o.Extra["redirect_uri"]}, "scope": {scope}, "grant_type": {"authorization_code"},
	}
	// Hand-written rather than oauth2.Config.Exchange: the platform needs the X-PaymentId and
	// X-PaymentAuthorisationId headers on this one request, which the oauth2 package cannot add.
	var tok Token
	_, err := c.auth.Do(ctx, banks.Request{Method: "POST", Path: "/connect/token", Form: form, NoAuth: true,
		Header: http.Header{"X-PaymentId": {o.PaymentID}, "X-PaymentAuthorisationId": {o.AuthorisationID}}}, &tok)
	if err != nil {
		return fmt.Errorf("openpayments: exchange code: %w", err)
	}
	if tok.AccessToken == "" {
		return fmt.Errorf("openpayments: exchange code: no access token: SCA not confirmed")
	}
	return nil
}

// Status reads the payment's transaction status, or a consent's status.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	path, err := c.follow(o, linkStatus, c.paymentPath(o)+"/status")
	if err != nil {
		return "", fmt.Errorf("openpayments: status: %w", err)
	}
	var st TransactionStatus
	if err := c.call(ctx, call{method: "GET", path: path, scope: scopeFor(o), bic: o.BIC, affiliate: o.Affiliate, psu: o.PSU, corporateID: o.Extra[banks.ExtraCorporateID]}, &st); err != nil {
		return "", fmt.Errorf("openpayments: status: %w", err)
	}
	status := st.TransactionStatus
	if o.Product == banks.ConsentProduct {
		status = st.ConsentStatus
	}
	if status == "" {
		return "", fmt.Errorf("openpayments: status: empty transactionStatus or consentStatus")
	}
	return status, nil
}

// Payer reads the payment resource (its self link, or the documented path) for the account the
// payment came from: the yaml's getPaymentInformation answers the initiation's body, debtorAccount
// included, which at a bank where the shopper chose the account during SCA is the one they chose.
// The platform reports no debtor name. A bulk is the merchant's own (refunds): it has no payer.
func (c *Client) Payer(ctx context.Context, o banks.Order) (*payment.PayerAccount, error) {
	if o.Product == banks.ConsentProduct || o.Extra[banks.ExtraService] == ServiceBulk {
		return nil, nil
	}
	path, err := c.follow(o, linkSelf, c.paymentPath(o))
	if err != nil {
		return nil, fmt.Errorf("openpayments: payment information: %w", err)
	}
	var info PaymentInformation
	if err := c.call(ctx, call{method: "GET", path: path, scope: paymentScope(o), bic: o.BIC, affiliate: o.Affiliate, psu: o.PSU, corporateID: o.Extra[banks.ExtraCorporateID]}, &info); err != nil {
		return nil, fmt.Errorf("openpayments: payment information: %w", err)
	}
	if info.DebtorAccount == nil {
		return nil, nil
	}
	d := info.DebtorAccount
	payer, err := banks.ReportedPayer(d.IBAN, d.BBAN, d.ClearingNumber, ProfileFor(o.BIC).Country, "")
	if err != nil {
		return nil, fmt.Errorf("openpayments: payment information: %w", err)
	}
	return payer, nil
}

// Cancel deletes the payment at the bank. A 204 means cancelled. A 202 (yaml cancelPayment,
// RECEIVED_202_PaymentInitiationCancel) means the bank wants the shopper to authorise the
// cancellation first: the payment is not cancelled yet, and since no shopper is there to do
// so, Cancel reports a refusal the caller handles as "not cancellable", never a success.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	path, err := c.follow(o, linkSelf, c.paymentPath(o))
	if err != nil {
		return fmt.Errorf("openpayments: cancel: %w", err)
	}
	var st TransactionStatus
	resp, err := c.callResponse(ctx, call{method: "DELETE", path: path, scope: paymentScope(o), bic: o.BIC, affiliate: o.Affiliate, psu: o.PSU, corporateID: o.Extra[banks.ExtraCorporateID]}, &st)
	if err != nil {
		return fmt.Errorf("openpayments: cancel: %w", err)
	}
	if resp.Status == http.StatusAccepted {
		return fmt.Errorf("openpayments: cancel: %w", &banks.Error{Status: resp.Status, Code: CodeCancellationNeedsAuthorisation,
			Message: "the bank wants the PSU to authorise the cancellation; the payment is not cancelled (transactionStatus " + st.TransactionStatus + ")"})
	}
	return nil
}

// CodeCancellationNeedsAuthorisation is the code of the error Cancel returns when the bank
// answered 202: the cancellation waits for an authorisation, the payment stands.
const CodeCancellationNeedsAuthorisation = "CANCELLATION_NEEDS_AUTHORISATION"

type call struct {
	method, path, scope, bic string
	psu                      banks.PSU
	body                     any
	create                   bool   // a payment creation: retried only when the bank surely did not act (429, 503)
	consent                  string // Consent-ID for account information
	corporateID              string // PSU-Corporate-ID, in the corporate context
	affiliate                string // X-AffiliatedASPSP-ID
}

func (c *Client) call(ctx context.Context, cl call, out any) error {
	_, err := c.callResponse(ctx, cl, out)
	return err
}

// callResponse sends one API call through the transport with the platform's headers and returns
// the answer (the SCA approach travels in a header; a cancel's status code says what happened).
func (c *Client) callResponse(ctx context.Context, cl call, out any) (*banks.Response, error) {
	h := cl.psu.Header()
	if cl.bic != "" {
		h.Set("X-BicFi", cl.bic)
		if ProfileFor(cl.bic).Requires("TPP-Redirect-Preferred") {
			h.Set("TPP-Redirect-Preferred", "false") // ask for decoupled, the same on every call
		}
	}
	if cl.consent != "" {
		h.Set("Consent-ID", cl.consent)
	}
	if cl.affiliate != "" {
		h.Set("X-AffiliatedASPSP-ID", cl.affiliate)
	}
	if cl.corporateID != "" {
		h.Set("PSU-Corporate-ID", cl.corporateID)
	}
	req := banks.Request{Method: cl.method, Path: strings.TrimPrefix(cl.path, "/psd2"), Header: h, Create: cl.create, Scope: cl.scope}
	if cl.body != nil {
		req.JSON = cl.body
	} else if cl.method == "POST" || cl.method == "PUT" {
		h.Set("Content-Type", "application/json")
	}
	return c.api.Do(ctx, req, out)
}

// authenticate puts the scope's access token on a call, renewing it when the platform said it
// is no longer good (revoked or expired early).
func (c *Client) authenticate(ctx context.Context, req *http.Request, scope string, refresh bool) error {
	if refresh {
		c.dropToken(scope)
	}
	tok, err := c.token(scope)
	if err != nil {
		return &banks.Error{Status: 502, Code: "TOKEN", Message: err.Error(), Retryable: true}
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}
