package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Strict-Transport-Security follows the configured public URL: TLS ends at the proxy, so the
// request the server sees is plain http even when the shopper's is https.
func TestStrictTransportSecurity(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		want      bool
	}{
		{"https://pay.example.com", true},
		{"http://localhost:8080", false},
	} {
		s := New(Config{PublicURL: tc.publicURL}, nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
		for _, path := range []string{"/static/app.css", "/no-such-page"} {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil)) // plain http, as behind a proxy
			if got := rec.Header().Get("Strict-Transport-Security"); (got != "") != tc.want || (tc.want && !strings.Contains(got, "max-age=")) {
				t.Errorf("%s %s: Strict-Transport-Security %q, want sent=%v", tc.publicURL, path, got, tc.want)
			}
		}
	}
}

// /metrics is the operator's: the public route table does not serve it; MetricsHandler does.
func TestMetricsOffThePublicListener(t *testing.T) {
	s := New(Config{PublicURL: "https://pay.example.com"}, nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	public := s.Handler()
	rec := httptest.NewRecorder()
	public.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/payments", nil)) // a 401, counted by the metrics
	rec = httptest.NewRecorder()
	public.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("public /metrics answered %d, want 404", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "paybybank_http_requests_total") {
		t.Fatalf("metrics handler: %d\n%s", rec.Code, rec.Body.String())
	}
}
