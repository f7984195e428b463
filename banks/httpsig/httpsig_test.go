package httpsig

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func signed(t *testing.T, org, body string, extra map[string]string) (*http.Request, time.Time) {
	cert, key, err := NewTestCertificate(org)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "https://bank.example/v1/payments/sepa-credit-transfers", strings.NewReader(body))
	req.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := Sign(req, []byte(body), key, cert, now); err != nil {
		t.Fatal(err)
	}
	return req, now
}

func TestSignVerify(t *testing.T) {
	req, now := signed(t, "Shop AS", `{"a":1}`, map[string]string{"TPP-Redirect-URI": "https://pay.example/callback", "PSU-ID": "12345678901"})
	p, err := Parse(req.Header.Get("Signature"))
	if err != nil || strings.Join(p.Headers, " ") != "date digest x-request-id psu-id tpp-redirect-uri" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := Verify(req, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Digest") != Digest([]byte(`{"a":1}`)) {
		t.Fatal("digest")
	}
	if Digest(nil) != "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Fatal("empty body digest differs from the profile's example")
	}
}

func TestNonASCIIIssuerIsRFC2047(t *testing.T) {
	req, now := signed(t, "Sparebanken Møre", "", nil)
	if v := req.Header.Get("Signature"); !strings.HasPrefix(v, "=?utf-8?b?") && !strings.HasPrefix(v, "=?UTF-8?b?") && !strings.HasPrefix(v, "=?utf-8?B?") {
		t.Fatalf("not RFC 2047: %s", v)
	}
	if _, err := Verify(req, now, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRejects(t *testing.T) {
	tests := map[string]func(r *http.Request) (*http.Request, time.Duration){
		"stale date": func(r *http.Request) (*http.Request, time.Duration) { return r, 10 * time.Minute },
		"body changed": func(r *http.Request) (*http.Request, time.Duration) {
			r.Body = nopCloser{bytes.NewReader([]byte(`{"a":2}`))}
			return r, 0
		},
		"header order": func(r *http.Request) (*http.Request, time.Duration) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `headers="date digest x-request-id"`, `headers="digest date x-request-id"`, 1))
			return r, 0
		},
		"header added after signing": func(r *http.Request) (*http.Request, time.Duration) {
			r.Header.Set("TPP-Redirect-URI", "https://evil.example/")
			return r, 0
		},
		"request id changed": func(r *http.Request) (*http.Request, time.Duration) {
			r.Header.Set("X-Request-ID", "00000000-0000-0000-0000-000000000000")
			return r, 0
		},
		"other certificate": func(r *http.Request) (*http.Request, time.Duration) {
			other, _ := signed(t, "Other AS", `{"a":1}`, nil)
			r.Header.Set("TPP-Signature-Certificate", other.Header.Get("TPP-Signature-Certificate"))
			return r, 0
		},
		"no signature": func(r *http.Request) (*http.Request, time.Duration) { r.Header.Del("Signature"); return r, 0 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			req, now := signed(t, "Shop AS", `{"a":1}`, nil)
			req, skew := mutate(req)
			if _, err := Verify(req, now.Add(skew), 5*time.Minute); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
