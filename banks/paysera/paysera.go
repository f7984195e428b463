// Package paysera connects paybybank to Paysera's Berlin Group API (Lithuania): the shopper first
// lets us initiate a payment through OAuth 2.0 authorization code with PKCE (golang.org/x/oauth2),
// then the payment is created with their token and confirmed with SCA at Paysera. Every call goes
// over mutual TLS with our QWAC, through banks.Transport; bodies carry Digest. See
// protocols/berlin-group-banks.md.
package paysera

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

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
	// OnCall is told the outcome of every bank call (banks.Transport.OnCall); nil: nobody.
	OnCall func(banks.CallResult)
}

// Client is the provider.
type Client struct {
	cfg Config
	api *banks.Transport

	mu       sync.Mutex
	tokenURL string // from the OAuth metadata, once read
	// live holds the token of each payment with a call under way, shared by its concurrent calls
	// so that a refresh token Paysera rotates is spent once; an entry goes when its last call
	// ends, and the token lives on in the order's Extra.
	live map[string]*session
}

// session is one payment's token while calls for it are under way.
type session struct {
	mu    sync.Mutex
	tok   *oauth2.Token
	calls int
}

var (
	_ banks.Provider  = (*Client)(nil)
	_ banks.Continuer = (*Client)(nil)
)

// New returns a connector.
func New(cfg Config) *Client {
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	c := &Client{cfg: cfg, live: map[string]*session{}}
	c.api = &banks.Transport{OnCall: cfg.OnCall, Provider: "paysera", BaseURL: cfg.APIURL, Client: cfg.HTTPClient, Logger: cfg.Logger,
		MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff, Authenticate: c.authenticate,
		Sign: func(req *http.Request, body []byte) error {
			if len(body) > 0 {
				req.Header.Set("Digest", httpsig.Digest(body))
			}
			return nil
		}}
	return c
}

// Name is "paysera".
func (c *Client) Name() string { return "paysera" }

// RateLimited reports whether calls wait for Paysera's rate-limit window to reset, and until when.
func (c *Client) RateLimited() (time.Time, bool) { return c.api.RateLimited() }

// Banks is Paysera itself.
func (c *Client) Banks(ctx context.Context) ([]banks.Bank, error) {
	return []banks.Bank{{BIC: BIC, Name: "Paysera", Country: "LT", Provider: "paysera", Currencies: []string{"EUR"},
		Approach: banks.Redirect, DebtorAccount: "at_bank", ReferenceLimits: map[string]int{"EUR": 140}}}, nil
}

// oauth is the OAuth client, with the given token endpoint.
func (c *Client) oauth(tokenURL, redirectURI string) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, Scopes: []string{"payments"}, RedirectURL: redirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: c.cfg.AuthorizeURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

// tokens is the OAuth client with the token endpoint the metadata names (relative to the API
// base or absolute, on its host; the documented /oauth/token where the metadata cannot be read),
// and a context that makes golang.org/x/oauth2 send its token requests through the transport.
func (c *Client) tokens(ctx context.Context, redirectURI string) (*oauth2.Config, context.Context) {
	c.mu.Lock()
	endpoint := c.tokenURL
	c.mu.Unlock()
	if endpoint == "" {
		endpoint, _ = c.api.Resolve("/oauth/token")
		var meta struct {
			TokenEndpoint string `json:"token_endpoint"`
		}
		_, err := c.api.Do(ctx, banks.Request{Method: "GET", Path: "/.well-known/oauth-authorization-server", NoAuth: true}, &meta)
		if u, rerr := c.api.Resolve(meta.TokenEndpoint); err == nil && meta.TokenEndpoint != "" && rerr == nil {
			endpoint = u
		}
		if !banks.IsRetryable(err) && ctx.Err() == nil { // Paysera answered: no need to ask again
			c.mu.Lock()
			c.tokenURL = endpoint
			c.mu.Unlock()
		}
	}
	return c.oauth(endpoint, redirectURI), context.WithValue(ctx, oauth2.HTTPClient, c.api.OAuthClient())
}

// tokenError turns a failed token request into a *banks.Error.
func tokenError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Errorf("paysera: %s: %w", op, &banks.Error{Status: re.Response.StatusCode, Code: re.ErrorCode, Message: re.ErrorDescription})
	}
	return fmt.Errorf("paysera: %s: %w", op, &banks.Error{Status: http.StatusBadGateway, Message: err.Error(), Retryable: true})
}

// CreatePayment cannot create yet: it sends the shopper to authorise us first (PKCE S256, our
// state). The verifier stays with the attempt, server-side.
func (c *Client) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	verifier := oauth2.GenerateVerifier()
	return &banks.Created{Product: "sepa-credit-transfers", RedirectURL: c.oauth("", req.RedirectURI).AuthCodeURL(req.State, oauth2.S256ChallengeOption(verifier)),
		AuthorizeFirst: true, Extra: map[string]string{"verifier": verifier, "redirect_uri": req.RedirectURI}}, nil
}

// paymentCreated is the creation's answer.
type paymentCreated struct {
	PaymentID         string      `json:"paymentId"`
	TransactionStatus string      `json:"transactionStatus"`
	Links             banks.Links `json:"_links"`
}

// Links the bank gave, kept with the attempt (its Extra) to be followed in later calls.
const (
	linkStatus = "link_status"
	linkSelf   = "link_self"
)

// Continue exchanges the code (with the verifier), creates the payment with the shopper's token
// and returns Paysera's scaRedirect. The tokens and links stay with the attempt for status and cancel.
func (c *Client) Continue(ctx context.Context, o banks.Order, q url.Values, next banks.SCARequest, req banks.PaymentRequest) (*banks.Created, error) {
	if e := q.Get("error"); e != "" {
		return nil, &banks.Error{Status: 400, Code: e, Message: "refused at Paysera", Denied: e == "access_denied"}
	}
	conf, tctx := c.tokens(ctx, o.Extra["redirect_uri"])
	tok, err := conf.Exchange(tctx, q.Get("code"), oauth2.VerifierOption(o.Extra["verifier"]))
	if err != nil {
		return nil, tokenError("exchange code", err)
	}
	body := map[string]any{
		"instructedAmount":                  map[string]string{"currency": req.Currency, "amount": req.Amount},
		"creditorAccount":                   map[string]string{"iban": req.Creditor.IBAN},
		"creditorName":                      req.CreditorName,
		"remittanceInformationUnstructured": req.Reference,
	}
	h := req.PSU.Header()
	h.Set("TPP-Redirect-URI", next.RedirectURI+"?state="+url.QueryEscape(next.State))
	var out paymentCreated
	extra := map[string]string{}
	keepToken(extra, tok)
	err = c.call(ctx, "new "+next.State, extra, banks.Request{Method: "POST", Path: "/v1/payments/sepa-credit-transfers",
		Header: h, JSON: body, Create: true}, &out)
	if err != nil {
		return nil, fmt.Errorf("paysera: create payment: %w", err)
	}
	sca := out.Links.Href("scaRedirect")
	if out.PaymentID == "" || sca == "" {
		return nil, fmt.Errorf("paysera: create payment: no paymentId or scaRedirect")
	}
	// The SCA page is the browser's: it may be on Paysera's page host rather than the API's.
	if sca, err = banks.ResolveRedirect(c.cfg.AuthorizeURL, sca); err != nil {
		return nil, fmt.Errorf("paysera: create payment: %w", err)
	}
	for key, name := range map[string]string{linkStatus: "status", linkSelf: "self"} {
		if href := out.Links.Href(name); href != "" {
			extra[key] = href
		}
	}
	return &banks.Created{PaymentID: out.PaymentID, Product: "sepa-credit-transfers", BankStatus: out.TransactionStatus,
		RedirectURL: sca, Extra: extra}, nil
}

// tokenOf reads the token kept in an order's Extra.
func tokenOf(extra map[string]string) *oauth2.Token {
	exp, _ := time.Parse(time.RFC3339, extra["expiry"])
	return &oauth2.Token{AccessToken: extra["access_token"], RefreshToken: extra["refresh_token"], Expiry: exp}
}

// keepToken writes a token into an order's Extra, which the checkout stores: Paysera rotates
// refresh tokens, and after a restart the payment must still be asked about (and not expire
// here while the bank carries it out).
func keepToken(extra map[string]string, t *oauth2.Token) {
	if extra == nil || t == nil {
		return
	}
	extra["access_token"], extra["refresh_token"] = t.AccessToken, t.RefreshToken
	extra["expiry"] = t.Expiry.UTC().Format(time.RFC3339)
}

// call sends one request with the token in extra, shared with the other calls under way for the
// same payment (named by scope), and writes the latest token back into extra.
func (c *Client) call(ctx context.Context, scope string, extra map[string]string, r banks.Request, out any) error {
	c.mu.Lock()
	s := c.live[scope]
	if s == nil {
		s = &session{tok: tokenOf(extra)}
		c.live[scope] = s
	}
	s.calls++
	c.mu.Unlock()
	r.Scope = scope
	_, err := c.api.Do(ctx, r, out)
	c.mu.Lock()
	if s.calls--; s.calls == 0 {
		delete(c.live, scope)
	}
	c.mu.Unlock()
	s.mu.Lock()
	keepToken(extra, s.tok)
	s.mu.Unlock()
	return err
}

// authenticate puts the payment's access token on a request, refreshed a minute before it
// expires (as the seed does) or when Paysera refused it.
func (c *Client) authenticate(ctx context.Context, req *http.Request, scope string, refresh bool) error {
	c.mu.Lock()
	s := c.live[scope]
	c.mu.Unlock()
	if s == nil {
		return fmt.Errorf("paysera: no token for %q", scope)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if refresh || !s.tok.Expiry.IsZero() && time.Until(s.tok.Expiry) < time.Minute {
		stale := *s.tok
		stale.Expiry = time.Unix(1, 0) // makes oauth2 refresh it
		conf, tctx := c.tokens(ctx, "")
		nt, err := conf.TokenSource(tctx, &stale).Token()
		if err != nil {
			return tokenError("refresh token", err)
		}
		s.tok = nt // oauth2 keeps the old refresh token when the answer has none
	}
	req.Header.Set("Authorization", "Bearer "+s.tok.AccessToken)
	return nil
}

// follow is the link the bank gave under key, or the documented path where it gave none.
func (c *Client) follow(o banks.Order, key, path string) (string, error) {
	if href := o.Extra[key]; href != "" {
		return c.api.Resolve(href)
	}
	return path, nil
}

// StartSCA is not used: Paysera's SCA link comes with the payment.
func (c *Client) StartSCA(ctx context.Context, o banks.Order, req banks.SCARequest) (*banks.SCA, error) {
	return nil, fmt.Errorf("paysera: SCA starts from the payment's scaRedirect")
}

// PollSCA is not used.
func (c *Client) PollSCA(ctx context.Context, o banks.Order) (*banks.SCA, error) {
	return nil, fmt.Errorf("paysera: redirect SCA has no poll")
}

// FinishRedirect accepts the return from Paysera's SCA page as it comes: the documents define no
// parameter on it, so the payment's status, asked next, says how it went.
func (c *Client) FinishRedirect(ctx context.Context, o banks.Order, q url.Values) error {
	return nil
}

// Status reads the payment's transactionStatus from its status link, or from the payment itself.
func (c *Client) Status(ctx context.Context, o banks.Order) (string, error) {
	path, err := c.follow(o, linkStatus, "/v1/payments/sepa-credit-transfers/"+url.PathEscape(o.PaymentID))
	if err != nil {
		return "", fmt.Errorf("paysera: status: %w", err)
	}
	var out struct {
		TransactionStatus string `json:"transactionStatus"`
	}
	if err := c.call(ctx, o.PaymentID, o.Extra, banks.Request{Method: "GET", Path: path, Header: o.PSU.Header()}, &out); err != nil {
		return "", fmt.Errorf("paysera: status: %w", err)
	}
	if out.TransactionStatus == "" {
		return "", fmt.Errorf("paysera: status: empty transactionStatus")
	}
	return out.TransactionStatus, nil
}

// Cancel deletes the payment: 204 done, 405 too late (a CANCELLATION_INVALID error), 404 unknown.
func (c *Client) Cancel(ctx context.Context, o banks.Order) error {
	if o.PaymentID == "" {
		return nil // the shopper never got past authorising us: nothing exists at Paysera
	}
	path, err := c.follow(o, linkSelf, "/v1/payments/sepa-credit-transfers/"+url.PathEscape(o.PaymentID))
	if err == nil {
		err = c.call(ctx, o.PaymentID, o.Extra, banks.Request{Method: "DELETE", Path: path, Header: o.PSU.Header()}, nil)
	}
	if err != nil {
		err = fmt.Errorf("paysera: cancel: %w", err)
	}
	return err
}
