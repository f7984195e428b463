package handlers_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"paybybank/app"
	"paybybank/internal/e2etest"
)

// With the default limit (20 a second per client IP, bursts of 60), a burst of 200 requests from
// one address to any public route is cut short with 429, the routes a checkout page polls
// included; an event stream counts once, when it starts.
func TestRateLimitCoversEveryPublicRoute(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	url := h.Srv.URL
	a, err := app.Build(&app.Config{Addr: h.Srv.Listener.Addr().String(), PublicURL: url, SelfURL: url, Sandbox: true,
		RateLimit: 20, ReuseSandbox: h.App.Sandbox, Now: h.Clock.Now}, h.DB, bytes.Repeat([]byte{7}, 32), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.EndStreams()
	routes := []string{
		path, path + "/status", path + "/qr.png", path + "/return", path + "/events", path + "/account",
		"/callback?state=x", "/pay/nope", "/merchant", "/brand/" + h.Merchant.ID + "/theme.css", "/brand/" + h.Merchant.ID + "/logo",
		"/api/openapi.json", "/api/v1/payments", "/static/app.css", "/", "/healthz", "/readyz", "/demo/return",
	}
	for i, route := range routes {
		t.Run(strings.TrimPrefix(route, path), func(t *testing.T) {
			limited := 0
			for range 200 {
				// A stream allowed in ends after a moment (its client leaves); only its start counts.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
				req := httptest.NewRequest("GET", route, nil).WithContext(ctx)
				req.RemoteAddr = "203.0.113." + string(rune('1'+i%9)) + string(rune('0'+i/9)) + ":4711" // one client per route
				rec := httptest.NewRecorder()
				a.Handler.ServeHTTP(rec, req)
				cancel()
				if rec.Code == 429 {
					limited++
					if rec.Header().Get("Retry-After") == "" {
						t.Fatal("429 without Retry-After")
					}
				}
			}
			if limited < 100 {
				t.Fatalf("%s: %d of 200 requests refused with 429, want the burst cut short", route, limited)
			}
		})
	}
}
