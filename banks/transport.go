package banks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Transport is the one way every connector talks to its bank. A connector keeps its wire types
// and its mapping; the transport does the rest, the same for all: a fresh X-Request-ID per try,
// a time-out per try, retries of what may be retried with backoff, Retry-After in both of its
// forms, the X-RateLimit-* headers, one token refresh when the bank says the token is no longer
// good, a bounded answer, the provider's error form turned into an *Error, and one log record
// per try. What truly differs between providers comes in as hooks.
type Transport struct {
	// Provider names the provider in the call log and in error messages.
	Provider string
	// BaseURL is where relative paths are sent, and what links the bank gives are resolved
	// against; a request to another host is refused. Empty: every request carries an absolute
	// URL (a provider with one base URL per bank checks the host itself, with ResolveLink).
	BaseURL string
	// Client sends the requests; it carries TLS client certificates. Default: a client with a
	// time-out of Timeout.
	Client *http.Client
	Logger *slog.Logger
	// MaxAttempts bounds the tries of one call (default 4); Backoff is the first wait between
	// them, doubled each time (default 250 ms).
	MaxAttempts int
	Backoff     time.Duration
	// Timeout bounds each try (default 15 s), whatever the caller's context allows.
	Timeout time.Duration
	// MaxBody is the largest answer read (default 1 MiB); a larger one is an error, never
	// silently cut.
	MaxBody int64
	// Now is the clock (default time.Now); Retry-After dates and rate-limit resets are read
	// against it.
	Now func() time.Time

	// Header, when set, adds the headers every request of this provider carries.
	Header func(req *http.Request)
	// Authenticate, when set, puts the credentials the request's Scope names on it (a bearer
	// token). refresh is true when the bank refused the previous try's token as expired or
	// invalid: get a new one. Requests with NoAuth skip it.
	Authenticate func(ctx context.Context, req *http.Request, scope string, refresh bool) error
	// Sign, when set, signs the finished request (Digest, HTTP Signatures); it runs on every
	// try, after Authenticate, with the body sent.
	Sign func(req *http.Request, body []byte) error
	// ParseError reads the provider's error form into an *Error whose Status is set. Default:
	// ParseError, which reads every form our providers use.
	ParseError func(status int, body []byte) *Error
	// OnCall, when set, is told the outcome of every try: the operator's metrics count bank
	// errors by provider and code through it, without this package knowing of metrics.
	OnCall func(CallResult)

	mu        sync.Mutex
	slowUntil time.Time // the rate limit is nearly spent: no call before then
}

// Request is one call to the bank.
type Request struct {
	Method string
	// Path is relative to the transport's BaseURL, or an absolute URL on its host (a link the
	// bank gave, resolved with Resolve).
	Path   string
	Header http.Header
	// JSON is sent JSON-encoded; Form form-encoded; at most one of them.
	JSON any
	Form url.Values
	// Create marks a call that makes something at the bank (a payment): it is repeated only
	// where the bank surely did nothing (429, 503, no connection), never after the request may
	// have reached it, so one shopper never makes two payments.
	Create bool
	// NoAuth marks a call that does not carry the provider's credentials (a token request).
	NoAuth bool
	// Scope names the credentials the call needs, for Authenticate: an OAuth scope, or the
	// payment whose token it carries.
	Scope string
}

// CallResult is one try's outcome, for Transport.OnCall.
type CallResult struct {
	Provider string
	// Status is the bank's HTTP status; 0 when no answer came.
	Status int
	// Code is the error's code: the bank's own (FORMAT_ERROR), else its HTTP status, else
	// "no_answer"; empty for a success.
	Code string
}

// observe tells OnCall how a try went.
func (t *Transport) observe(resp *Response, err error) {
	if t.OnCall == nil {
		return
	}
	c := CallResult{Provider: t.Provider}
	if resp != nil {
		c.Status = resp.Status
	}
	var be *Error
	switch {
	case err == nil:
	case errors.As(err, &be) && be.Code != "":
		c.Code = be.Code
	case c.Status != 0:
		c.Code = strconv.Itoa(c.Status)
	case errors.As(err, &be) && be.Status != 0:
		c.Status, c.Code = be.Status, strconv.Itoa(be.Status)
	default:
		c.Code = "no_answer"
	}
	t.OnCall(c)
}

// Response is the bank's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Defaults for a Transport's zero fields.
const (
	DefaultMaxAttempts = 4
	DefaultBackoff     = 250 * time.Millisecond
	DefaultTimeout     = 15 * time.Second
	DefaultMaxBody     = 1 << 20
)

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Do sends the request and decodes a successful JSON answer into out (when out is not nil and
// the answer has a body). A refused call returns the answer too, with an *Error, for callers
// that read more of an error's body (a 401 that carries an SCA link).
func (t *Transport) Do(ctx context.Context, r Request, out any) (*Response, error) {
	target, err := t.target(r.Path)
	if err != nil {
		return nil, err
	}
	body, contentType, err := encodeBody(r)
	if err != nil {
		return nil, fmt.Errorf("%s: encode %s %s: %w", t.Provider, r.Method, r.Path, err)
	}
	maxAttempts := t.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	backoff := t.Backoff
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	refreshed := false
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if err := t.waitForRateLimit(ctx); err != nil {
			return nil, err
		}
		resp, retryIn, err := t.try(ctx, r, target, body, contentType, attempt, refreshed)
		t.observe(resp, err)
		if err == nil {
			if out != nil && len(resp.Body) > 0 {
				if err := json.Unmarshal(resp.Body, out); err != nil {
					return resp, fmt.Errorf("%s: decode answer to %s %s: %w", t.Provider, r.Method, r.Path, err)
				}
			}
			return resp, nil
		}
		var be *Error
		if errors.As(err, &be) && be.Status == http.StatusUnauthorized && !refreshed && tokenRejected(r, t, be) {
			// The token expired or was revoked at the bank: one refresh, one more try, not
			// counted as a retry of a failure.
			refreshed = true
			attempt--
			continue
		}
		last = err
		if !retryable(r, err) || attempt == maxAttempts {
			return resp, err
		}
		if !Wait(ctx, backoff, attempt, retryIn) {
			return resp, fmt.Errorf("%s: %s %s: %w", t.Provider, r.Method, r.Path, ctx.Err())
		}
	}
	return nil, last
}

// try makes one attempt. On failure it returns how long the bank asked us to wait.
func (t *Transport) try(ctx context.Context, r Request, target string, body []byte, contentType string, attempt int, refresh bool) (*Response, time.Duration, error) {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(tctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %s %s: %w", t.Provider, r.Method, r.Path, err)
	}
	xid := uuid.NewString()
	req.Header.Set("X-Request-ID", xid)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if t.Header != nil {
		t.Header(req)
	}
	for k, vs := range r.Header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if t.Authenticate != nil && !r.NoAuth {
		if err := t.Authenticate(ctx, req, r.Scope, refresh); err != nil {
			return nil, 0, err
		}
	}
	if t.Sign != nil {
		if err := t.Sign(req, body); err != nil {
			return nil, 0, fmt.Errorf("%s: sign %s %s: %w", t.Provider, r.Method, r.Path, err)
		}
	}
	log := CallLog{Logger: t.logger(), Provider: t.Provider, Method: r.Method, Path: req.URL.EscapedPath(), XRequestID: xid, Attempt: attempt}
	start := time.Now()
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		log.Log(ctx, slog.LevelWarn, "bank call failed", slog.String("error", err.Error()), slog.Duration("took", time.Since(start)))
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("%s: %s %s: %w", t.Provider, r.Method, r.Path, ctx.Err())
		}
		// A request that never left (no connection) surely did nothing at the bank; one that
		// was sent and got no answer (a time-out, a reset) may have.
		sent := !neverSent(err)
		return nil, 0, &Error{Message: "no answer from " + t.Provider, Retryable: true, Uncertain: sent, sent: sent}
	}
	defer resp.Body.Close()
	maxBody := t.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err == nil && int64(len(data)) > maxBody {
		err = fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	t.noteRateLimit(resp.Header)
	log.Log(ctx, slog.LevelInfo, "bank call", slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)),
		slog.String("bank_request_id", resp.Header.Get("X-Request-ID")))
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if err != nil {
		// The bank answered, but we could not read it whole: for a creation, it may have acted.
		return out, 0, &Error{Status: resp.StatusCode, Message: fmt.Sprintf("reading the answer from %s: %v", t.Provider, err),
			Uncertain: resp.StatusCode < 300, sent: true}
	}
	if resp.StatusCode < 300 {
		return out, 0, nil
	}
	parse := t.ParseError
	if parse == nil {
		parse = ParseError
	}
	be := parse(resp.StatusCode, data)
	be.Status = resp.StatusCode
	be.Retryable = be.Retryable || retryableStatus(resp.StatusCode)
	be.RetryIn = retryAfterAt(resp.Header, t.now())
	be.sent = true
	// A 5xx to a creation may hide a payment the bank made before failing to answer.
	be.Uncertain = r.Create && resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable
	if resp.StatusCode == http.StatusTooManyRequests && be.RetryIn == 0 {
		be.RetryIn = t.rateLimitWait()
	}
	return out, be.RetryIn, be
}

func (t *Transport) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// target is where a request goes: a path under BaseURL, or an absolute URL on its host.
func (t *Transport) target(path string) (string, error) {
	if t.BaseURL == "" {
		u, err := url.Parse(path)
		if err != nil || !u.IsAbs() {
			return "", fmt.Errorf("%s: %q is not an absolute URL", t.Provider, path)
		}
		return path, nil
	}
	return ResolveLink(t.BaseURL, path)
}

// Resolve turns a link the bank gave (absolute, or relative to the provider's base URL) into
// the URL to call, refusing a link to another host.
func (t *Transport) Resolve(href string) (string, error) { return t.target(href) }

func encodeBody(r Request) ([]byte, string, error) {
	switch {
	case r.JSON != nil && r.Form != nil:
		return nil, "", errors.New("both a JSON and a form body")
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		return b, "application/json", err
	case r.Form != nil:
		return []byte(r.Form.Encode()), "application/x-www-form-urlencoded", nil
	}
	return nil, "", nil
}

// retryableStatus lists the answers that say "not now": too many requests, and the server
// errors that do not mean the request itself was wrong.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryable says whether a failed try is worth another. A read is repeated on any temporary
// failure; a creation only where the bank surely did nothing: 429 and 503 (refused before any
// work) and a connection never made.
func retryable(r Request, err error) bool {
	var be *Error
	if !errors.As(err, &be) || !be.Retryable {
		return false
	}
	if !r.Create {
		return true
	}
	if !be.sent {
		return true
	}
	return be.Status == http.StatusTooManyRequests || be.Status == http.StatusServiceUnavailable
}

// tokenRejected says whether a 401 means the access token is no longer good (rather than, say,
// a PSU that must identify first): the codes for it, or no code at all on a call that carried
// a token.
func tokenRejected(r Request, t *Transport, be *Error) bool {
	if t.Authenticate == nil || r.NoAuth {
		return false
	}
	switch be.Code {
	case "", "TOKEN_EXPIRED", "TOKEN_INVALID", "TOKEN_UNKNOWN", "invalid_token":
		return true
	}
	return false
}

// neverSent reports whether err happened before the request could reach the bank.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// retryAfterAt reads Retry-After, in seconds or as an HTTP date, against now; 0 when absent.
func retryAfterAt(h http.Header, now time.Time) time.Duration {
	ra := strings.TrimSpace(h.Get("Retry-After"))
	if ra == "" {
		return 0
	}
	if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(ra); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// noteRateLimit reads X-RateLimit-Limit, -Remaining and -Reset. Reset is the point in time the
// window renews, in epoch seconds (Paysera's seed: `new Date(reset * 1000)`); a small number is
// read as seconds from now, as some gateways send it. Below a fifth of the limit remaining, no
// call goes out before the reset, as the seed's RateLimitManager does.
func (t *Transport) noteRateLimit(h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 {
		return
	}
	now := t.now()
	at := time.Unix(reset, 0)
	if reset < 1_000_000_000 {
		at = now.Add(time.Duration(reset) * time.Second)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if remaining*5 < limit && at.After(now) {
		t.slowUntil = at
	} else {
		t.slowUntil = time.Time{}
	}
}

// rateLimitWait is how long until the rate limit's reset, if it is nearly spent.
func (t *Transport) rateLimitWait() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.slowUntil.Sub(t.now()); d > 0 {
		return d
	}
	return 0
}

// waitForRateLimit holds a call until the rate limit's reset, or until ctx ends.
func (t *Transport) waitForRateLimit(ctx context.Context) error {
	d := t.rateLimitWait()
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for the rate limit to reset: %w", t.Provider, ctx.Err())
	case <-timer.C:
		return nil
	}
}

// RateLimited reports whether the next call waits for the rate limit's reset, and until when.
func (t *Transport) RateLimited() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.slowUntil, t.slowUntil.After(t.now())
}

// ParseError reads the error forms our providers use: Berlin Group `tppMessages[{category,
// code, path, text}]`, RFC 7807 problem details `{type, title, detail, code}`, the flat
// `{code, message}` or `{code, description}` (Sparebanken Møre, Powens), and OAuth 2.0
// `{error, error_description}`.
func ParseError(status int, body []byte) *Error {
	be := &Error{Status: status}
	var e struct {
		TPPMessages []struct {
			Code string `json:"code"`
			Path string `json:"path"`
			Text string `json:"text"`
		} `json:"tppMessages"`
		Code        string `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description"`
		Title       string `json:"title"`
		Detail      string `json:"detail"`
		OAuthError  string `json:"error"`
		OAuthDesc   string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch {
		case len(e.TPPMessages) > 0:
			m := e.TPPMessages[0]
			be.Code, be.Message = m.Code, m.Text
			if m.Path != "" {
				be.Message += " (" + m.Path + ")"
			}
		case e.Code != "":
			be.Code = e.Code
			be.Message = firstNonEmpty(e.Detail, e.Message, e.Description, e.Title)
		case e.OAuthError != "":
			be.Code, be.Message = e.OAuthError, e.OAuthDesc
		default:
			be.Message = firstNonEmpty(e.Detail, e.Message, e.Description, e.Title)
		}
	}
	if be.Message == "" {
		be.Message = http.StatusText(status)
	}
	return be
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// OAuthClient is an *http.Client for golang.org/x/oauth2's own token requests: each try gets a
// fresh X-Request-ID, its time-out and a log record, and a token request that met a temporary
// failure (no connection, 429, 5xx) is tried again with backoff, since asking for a token twice
// does no harm. Pass it to oauth2 with context.WithValue(ctx, oauth2.HTTPClient, c).
func (t *Transport) OAuthClient() *http.Client {
	return &http.Client{Transport: tokenTripper{t}}
}

type tokenTripper struct{ t *Transport }

// RoundTrip sends a token request through the transport's retry, time-out and log.
func (tt tokenTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	t := tt.t
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	form, _ := url.ParseQuery(string(body))
	r := Request{Method: req.Method, Path: req.URL.String(), Header: req.Header.Clone(), NoAuth: true}
	if len(body) > 0 {
		r.Form = form
	}
	// The token URL may be on another host than the API (Open Payments' auth host).
	sub := &Transport{Provider: t.Provider, Client: t.Client, Logger: t.Logger, MaxAttempts: t.MaxAttempts,
		Backoff: t.Backoff, Timeout: t.Timeout, MaxBody: t.MaxBody, Now: t.Now, OnCall: t.OnCall,
		ParseError: func(status int, b []byte) *Error { return &Error{Status: status, Message: http.StatusText(status)} }}
	resp, err := sub.Do(req.Context(), r, nil)
	if resp == nil {
		return nil, err
	}
	// oauth2 reads the error form itself: hand it every answer the bank gave.
	return &http.Response{StatusCode: resp.Status, Status: strconv.Itoa(resp.Status) + " " + http.StatusText(resp.Status),
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)),
		Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}
