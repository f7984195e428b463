package banks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// script is a bank that answers each call with the next status of its script (the last one
// repeats), counting calls.
type script struct {
	statuses []int
	header   http.Header
	body     string
	calls    atomic.Int32
	seen     []*http.Request
	mu       sync.Mutex
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.calls.Add(1)) - 1
	s.mu.Lock()
	s.seen = append(s.seen, r.Clone(context.Background()))
	s.mu.Unlock()
	st := s.statuses[min(n, len(s.statuses)-1)]
	for k, v := range s.header {
		w.Header()[k] = v
	}
	w.WriteHeader(st)
	if s.body != "" {
		fmt.Fprint(w, s.body)
	} else if st < 300 {
		fmt.Fprint(w, `{"ok":true}`)
	} else {
		fmt.Fprintf(w, `{"tppMessages":[{"category":"ERROR","code":"C%d","text":"refused"}]}`, st)
	}
}

func newTransport(url string) *Transport {
	return &Transport{Provider: "test", BaseURL: url, Backoff: time.Millisecond, MaxAttempts: 4, Timeout: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler)}
}

func TestTransportRetries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		create    bool
		statuses  []int
		calls     int
		ok        bool
		uncertain bool
	}{
		{"read OK", false, []int{200}, 1, true, false},
		{"read 500 then OK", false, []int{500, 200}, 2, true, false},
		{"read 502 503 504 then OK", false, []int{502, 503, 504, 200}, 4, true, false},
		{"read 429 then OK", false, []int{429, 200}, 2, true, false},
		{"read 5xx every time", false, []int{500}, 4, false, false},
		{"read 400 not retried", false, []int{400, 200}, 1, false, false},
		{"read 404 not retried", false, []int{404, 200}, 1, false, false},
		{"read 501 not retried", false, []int{501, 200}, 1, false, false},
		{"create 201", true, []int{201}, 1, true, false},
		{"create 429 retried", true, []int{429, 201}, 2, true, false},
		{"create 503 retried", true, []int{503, 201}, 2, true, false},
		{"create 500 not retried: the bank may have acted", true, []int{500, 201}, 1, false, true},
		{"create 502 not retried", true, []int{502, 201}, 1, false, true},
		{"create 504 not retried", true, []int{504, 201}, 1, false, true},
		{"create 400 not retried", true, []int{400, 201}, 1, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bank := &script{statuses: tc.statuses}
			srv := httptest.NewServer(bank)
			defer srv.Close()
			var out struct{ OK bool }
			_, err := newTransport(srv.URL).Do(context.Background(), Request{Method: "POST", Path: "/v1/x", JSON: map[string]string{"a": "b"}, Create: tc.create}, &out)
			if got := int(bank.calls.Load()); got != tc.calls {
				t.Errorf("calls = %d, want %d", got, tc.calls)
			}
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !out.OK {
				t.Error("answer not decoded")
			}
			if IsUncertain(err) != tc.uncertain {
				t.Errorf("uncertain = %v, want %v (%v)", IsUncertain(err), tc.uncertain, err)
			}
			var be *Error
			if !tc.ok && errors.As(err, &be) && !strings.HasPrefix(be.Code, "C") {
				t.Errorf("error form not read: %+v", be)
			}
		})
	}
}

// A connection that is reset after the request was sent: a read is retried, a creation is not.
func TestTransportLostAnswer(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	for _, tc := range []struct {
		create bool
		calls  int32
	}{{false, 4}, {true, 1}} {
		calls.Store(0)
		_, err := newTransport(srv.URL).Do(context.Background(), Request{Method: "POST", Path: "/p", JSON: 1, Create: tc.create}, nil)
		if err == nil || calls.Load() != tc.calls {
			t.Errorf("create=%v: calls %d, err %v; want %d calls and an error", tc.create, calls.Load(), err, tc.calls)
		}
		if tc.create && !IsUncertain(err) {
			t.Errorf("a creation whose answer was lost must be uncertain: %v", err)
		}
	}
}

// A connection never made: even a creation is tried again, since nothing reached the bank.
func TestTransportNoConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tr := newTransport("http://" + addr)
	tr.MaxAttempts = 2
	_, err = tr.Do(context.Background(), Request{Method: "POST", Path: "/p", JSON: 1, Create: true}, nil)
	if err == nil || IsUncertain(err) || !IsRetryable(err) {
		t.Fatalf("no connection: want a retryable, certain error, got %v", err)
	}
}

func TestTransportTimeout(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	tr := newTransport(srv.URL)
	tr.Timeout = 30 * time.Millisecond
	tr.MaxAttempts = 3
	_, err := tr.Do(context.Background(), Request{Method: "GET", Path: "/slow"}, nil)
	if err == nil || calls.Load() != 3 {
		t.Fatalf("read: %d calls, %v; want 3 tries each cut by the time-out", calls.Load(), err)
	}
	calls.Store(0)
	_, err = tr.Do(context.Background(), Request{Method: "POST", Path: "/slow", JSON: 1, Create: true}, nil)
	if !IsUncertain(err) || calls.Load() != 1 {
		t.Fatalf("create: %d calls, %v; want one uncertain try", calls.Load(), err)
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 0 ", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"-3", 0},
	} {
		h := http.Header{}
		h.Set("Retry-After", tc.value)
		if got := retryAfterAt(h, now); got != tc.want {
			t.Errorf("Retry-After %q = %v, want %v", tc.value, got, tc.want)
		}
	}
}

// The bank's Retry-After is waited out, in seconds and as a date.
func TestTransportHonoursRetryAfter(t *testing.T) {
	for _, form := range []string{"seconds", "date"} {
		t.Run(form, func(t *testing.T) {
			bank := &script{statuses: []int{503, 200}, header: http.Header{}}
			srv := httptest.NewServer(bank)
			defer srv.Close()
			tr := newTransport(srv.URL)
			clock := time.Now()
			tr.Now = func() time.Time { return clock }
			if form == "seconds" {
				bank.header.Set("Retry-After", "1")
			} else {
				bank.header.Set("Retry-After", clock.Add(2*time.Second).UTC().Format(http.TimeFormat))
			}
			start := time.Now()
			if _, err := tr.Do(context.Background(), Request{Method: "GET", Path: "/"}, nil); err != nil {
				t.Fatal(err)
			}
			if waited := time.Since(start); waited < 900*time.Millisecond {
				t.Fatalf("waited %v, want the bank's Retry-After (about a second)", waited)
			}
		})
	}
}

// Below a fifth of the limit remaining, no call leaves before the reset, a point in time in
// epoch seconds; a caller whose context ends first gets an error and the bank no call.
func TestTransportRateLimitReset(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name      string
		remaining int
		reset     string
		holds     bool
	}{
		{"epoch seconds, nearly spent", 10, strconv.FormatInt(clock.Unix()+60, 10), true},
		{"epoch seconds, plenty left", 50, strconv.FormatInt(clock.Unix()+60, 10), false},
		{"epoch seconds, reset passed", 10, strconv.FormatInt(clock.Unix()-1, 10), false},
		{"seconds from now", 10, "30", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bank := &script{statuses: []int{200}, header: http.Header{}}
			bank.header.Set("X-RateLimit-Limit", "100")
			bank.header.Set("X-RateLimit-Remaining", strconv.Itoa(tc.remaining))
			bank.header.Set("X-RateLimit-Reset", tc.reset)
			srv := httptest.NewServer(bank)
			defer srv.Close()
			tr := newTransport(srv.URL)
			tr.Now = func() time.Time { return clock }
			if _, err := tr.Do(context.Background(), Request{Method: "GET", Path: "/"}, nil); err != nil {
				t.Fatal(err)
			}
			until, held := tr.RateLimited()
			if held != tc.holds {
				t.Fatalf("held = %v (until %v), want %v", held, until, tc.holds)
			}
			if tc.name == "epoch seconds, nearly spent" && !until.Equal(clock.Add(60*time.Second)) {
				t.Errorf("held until %v, want the reset %v", until, clock.Add(60*time.Second))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := tr.Do(ctx, Request{Method: "GET", Path: "/"}, nil)
			if tc.holds && (err == nil || bank.calls.Load() != 1) {
				t.Fatalf("a call before the reset went out: %d calls, %v", bank.calls.Load(), err)
			}
			if !tc.holds && err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A cancelled context ends a back-off at once.
func TestTransportCancelDuringBackoff(t *testing.T) {
	bank := &script{statuses: []int{503}, header: http.Header{"Retry-After": {"30"}}}
	srv := httptest.NewServer(bank)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newTransport(srv.URL).Do(ctx, Request{Method: "GET", Path: "/"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	if bank.calls.Load() != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("%d calls in %v: the back-off outlived the context", bank.calls.Load(), time.Since(start))
	}
}

func TestTransportBodyLimit(t *testing.T) {
	bank := &script{statuses: []int{200}, body: `{"data":"` + strings.Repeat("x", 200) + `"}`}
	srv := httptest.NewServer(bank)
	defer srv.Close()
	tr := newTransport(srv.URL)
	tr.MaxBody = 100
	var out map[string]string
	if _, err := tr.Do(context.Background(), Request{Method: "GET", Path: "/"}, &out); err == nil || out != nil {
		t.Fatalf("an answer over the limit must fail, not be cut: %v %v", err, out)
	}
	tr.MaxBody = 1000
	if _, err := tr.Do(context.Background(), Request{Method: "GET", Path: "/"}, &out); err != nil || len(out["data"]) != 200 {
		t.Fatalf("within the limit: %v", err)
	}
}

// A 401 that says the token is no longer good gets one refresh and one retry.
func TestTransportRefreshesToken(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string
		noAuth    bool
		statuses  []int
		calls     int32
		refreshes int
		ok        bool
	}{
		{"TOKEN_EXPIRED", `{"tppMessages":[{"code":"TOKEN_EXPIRED"}]}`, false, []int{401, 200}, 2, 1, true},
		{"TOKEN_INVALID", `{"code":"TOKEN_INVALID"}`, false, []int{401, 200}, 2, 1, true},
		{"no code", `{"message":"Unauthorized"}`, false, []int{401, 200}, 2, 1, true},
		{"another 401 is not a token", `{"tppMessages":[{"code":"PSU_CREDENTIALS_INVALID"}]}`, false, []int{401, 200}, 1, 0, false},
		{"refused twice: one refresh only", `{"code":"TOKEN_INVALID"}`, false, []int{401}, 2, 1, false},
		{"a token request is not refreshed", `{"message":"Unauthorized"}`, true, []int{401, 200}, 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bank := &script{statuses: tc.statuses, body: tc.body}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if bank.calls.Load() > 0 && r.Header.Get("Authorization") != "Bearer fresh" && !tc.noAuth {
					t.Errorf("retry carried %q, want the fresh token", r.Header.Get("Authorization"))
				}
				if len(tc.statuses) > 1 && bank.calls.Load() > 0 {
					bank.body = ""
				}
				bank.ServeHTTP(w, r)
			}))
			defer srv.Close()
			tr := newTransport(srv.URL)
			refreshes := 0
			tr.Authenticate = func(ctx context.Context, req *http.Request, scope string, refresh bool) error {
				tok := "old"
				if refresh {
					refreshes++
					tok = "fresh"
				}
				req.Header.Set("Authorization", "Bearer "+tok)
				return nil
			}
			_, err := tr.Do(context.Background(), Request{Method: "GET", Path: "/", NoAuth: tc.noAuth}, nil)
			if (err == nil) != tc.ok || bank.calls.Load() != tc.calls || refreshes != tc.refreshes {
				t.Fatalf("err %v, calls %d, refreshes %d; want ok=%v, %d calls, %d refreshes", err, bank.calls.Load(), refreshes, tc.ok, tc.calls, tc.refreshes)
			}
		})
	}
}

// Each try is one log record with its own X-Request-ID, the one the bank saw, beside ours.
func TestTransportCallLog(t *testing.T) {
	bank := &script{statuses: []int{502, 200}, header: http.Header{"X-Request-Id": {"bank-1"}}}
	srv := httptest.NewServer(bank)
	defer srv.Close()
	var mu sync.Mutex
	var recs []map[string]any
	h := slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		var m map[string]any
		json.Unmarshal(p, &m)
		mu.Lock()
		recs = append(recs, m)
		mu.Unlock()
		return len(p), nil
	}), nil)
	tr := newTransport(srv.URL + "/api")
	tr.Logger = slog.New(h)
	ctx := WithRequestID(context.Background(), "req-ours")
	if _, err := tr.Do(ctx, Request{Method: "GET", Path: "/v1/payments/a b?token=secret"}, nil); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want one per try: %v", len(recs), recs)
	}
	for i, r := range recs {
		if r["provider"] != "test" || r["request_id"] != "req-ours" || r["attempt"] != float64(i+1) || r["path"] != "/api/v1/payments/a%20b" {
			t.Errorf("record %d: %v", i, r)
		}
		if r["x_request_id"] != bank.seen[i].Header.Get("X-Request-ID") {
			t.Errorf("record %d logs %v, the bank saw %q", i, r["x_request_id"], bank.seen[i].Header.Get("X-Request-ID"))
		}
		if r["bank_request_id"] != "bank-1" {
			t.Errorf("record %d: the bank's X-Request-ID not logged: %v", i, r)
		}
	}
	if recs[0]["x_request_id"] == recs[1]["x_request_id"] {
		t.Error("each try needs a fresh X-Request-ID")
	}
	for _, r := range recs {
		if strings.Contains(fmt.Sprint(r), "secret") {
			t.Error("the query string was logged")
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestTransportRefusesBadRequests(t *testing.T) {
	bank := &script{statuses: []int{200}}
	srv := httptest.NewServer(bank)
	defer srv.Close()
	tr := newTransport(srv.URL)
	if _, err := tr.Do(context.Background(), Request{Method: "POST", Path: "/", JSON: map[string]any{"c": make(chan int)}}, nil); err == nil {
		t.Error("a body that cannot be encoded must be an error")
	}
	if _, err := tr.Do(context.Background(), Request{Method: "GET", Path: "https://evil.example/steal"}, nil); err == nil {
		t.Error("a link to another host must be refused")
	}
	if bank.calls.Load() != 0 {
		t.Errorf("%d calls reached the bank", bank.calls.Load())
	}
}

func TestTransportSignsAndAuthenticates(t *testing.T) {
	bank := &script{statuses: []int{200}}
	srv := httptest.NewServer(bank)
	defer srv.Close()
	tr := newTransport(srv.URL)
	tr.Header = func(r *http.Request) { r.Header.Set("X-Client", "c1") }
	tr.Authenticate = func(ctx context.Context, r *http.Request, scope string, refresh bool) error {
		r.Header.Set("Authorization", "Bearer t")
		return nil
	}
	tr.Sign = func(r *http.Request, body []byte) error {
		if r.Header.Get("Authorization") == "" || r.Header.Get("X-Request-ID") == "" {
			return errors.New("signed before the headers were set")
		}
		r.Header.Set("Signature", fmt.Sprintf("len=%d", len(body)))
		return nil
	}
	if _, err := tr.Do(context.Background(), Request{Method: "POST", Path: "/", JSON: map[string]int{"a": 1}, Header: http.Header{"Psu-Ip-Address": {"1.2.3.4"}}}, nil); err != nil {
		t.Fatal(err)
	}
	h := bank.seen[0].Header
	if h.Get("X-Client") != "c1" || h.Get("Signature") != "len=7" || h.Get("PSU-IP-Address") != "1.2.3.4" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("headers: %v", h)
	}
}

func TestParseErrorForms(t *testing.T) {
	for _, tc := range []struct {
		body, code, message string
	}{
		{`{"tppMessages":[{"category":"ERROR","code":"FORMAT_ERROR","path":"creditorAccount","text":"bad"}]}`, "FORMAT_ERROR", "bad (creditorAccount)"},
		{`{"type":"about:blank","title":"Bad","detail":"amount too large","code":"PARAMETER_NOT_CONSISTENT"}`, "PARAMETER_NOT_CONSISTENT", "amount too large"},
		{`{"id":"1","system":"x","status":400,"code":"RESOURCE_UNKNOWN","message":"no such payment"}`, "RESOURCE_UNKNOWN", "no such payment"},
		{`{"code":"invalidValue","description":"bad iban"}`, "invalidValue", "bad iban"},
		{`{"error":"invalid_grant","error_description":"expired code"}`, "invalid_grant", "expired code"},
		{`<html>oops</html>`, "", "Bad Request"},
		{``, "", "Bad Request"},
	} {
		be := ParseError(400, []byte(tc.body))
		if be.Code != tc.code || be.Message != tc.message || be.Status != 400 {
			t.Errorf("%s: got %q %q", tc.body, be.Code, be.Message)
		}
	}
}

func TestLinkForms(t *testing.T) {
	var v struct {
		Links Links `json:"_links"`
	}
	body := `{"_links":{"scaRedirect":"https://bank/sca","status":{"href":"/v1/payments/p1/status"},"self":null}}`
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Links.Href("scaRedirect") != "https://bank/sca" || v.Links.Href("status") != "/v1/payments/p1/status" || v.Links.Href("self") != "" {
		t.Fatalf("links: %+v", v.Links)
	}
	if v.Links.Href("redirect", "scaRedirect") != "https://bank/sca" {
		t.Fatal("first present name")
	}
	var l Link
	if err := json.Unmarshal([]byte(`42`), &l); err == nil {
		t.Fatal("a number is no link")
	}
}

func TestResolveLink(t *testing.T) {
	for _, tc := range []struct {
		base, href, want string
		ok               bool
	}{
		{"https://api.bank/xs2a/berlin/1.3", "/v1/payments/p1/status", "https://api.bank/xs2a/berlin/1.3/v1/payments/p1/status", true},
		{"https://api.bank/xs2a/berlin/1.3", "/xs2a/berlin/1.3/v1/payments/p1", "https://api.bank/xs2a/berlin/1.3/v1/payments/p1", true},
		{"https://api.bank/psd2", "https://api.bank/psd2/x", "https://api.bank/psd2/x", true},
		{"https://api.bank", "/v1/payments/a%2Fb/status", "https://api.bank/v1/payments/a%2Fb/status", true},
		{"https://api.bank/psd2", "https://evil.example/psd2/x", "", false},
		{"https://api.bank/psd2", "http://api.bank/psd2/x", "", false},
		{"https://api.bank/psd2", "//evil.example/x", "", false},
	} {
		got, err := ResolveLink(tc.base, tc.href)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ResolveLink(%q, %q) = %q, %v; want %q ok=%v", tc.base, tc.href, got, err, tc.want, tc.ok)
		}
	}
	if _, err := ResolveRedirect("https://api.bank", "javascript:alert(1)"); err == nil {
		t.Error("a javascript: redirect must be refused")
	}
	if got, err := ResolveRedirect("https://api.bank/x", "https://sca.bank/login"); err != nil || got != "https://sca.bank/login" {
		t.Errorf("an https SCA page on the bank's own host: %q %v", got, err)
	}
}

// Token requests made by golang.org/x/oauth2 go through the same retries and log.
func TestOAuthClientRetries(t *testing.T) {
	bank := &script{statuses: []int{503, 200}, body: `{"access_token":"a"}`}
	srv := httptest.NewServer(bank)
	defer srv.Close()
	c := newTransport(srv.URL).OAuthClient()
	req, _ := http.NewRequest("POST", srv.URL+"/connect/token", strings.NewReader("grant_type=client_credentials&scope=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 || bank.calls.Load() != 2 {
		t.Fatalf("%v %v calls=%d", resp, err, bank.calls.Load())
	}
	if bank.seen[1].Header.Get("X-Request-ID") == "" || bank.seen[0].Header.Get("X-Request-ID") == bank.seen[1].Header.Get("X-Request-ID") {
		t.Error("each token try needs its own X-Request-ID")
	}
}
