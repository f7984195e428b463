package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// BenchmarkCheckoutPage renders the bank picker in process, for profiling.
func BenchmarkCheckoutPage(b *testing.B) {
	t := &testing.T{}
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	req := httptest.NewRequest("GET", path, nil)
	rec := httptest.NewRecorder()
	h.App.Handler.ServeHTTP(rec, req)
	cookie := rec.Result().Cookies()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		for _, c := range cookie {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.App.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkCreatePayment creates payments through the API in process, for profiling.
func BenchmarkCreatePayment(b *testing.B) {
	t := &testing.T{}
	h := e2etest.New(t)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/api/v1/payments", strings.NewReader(`{"amount":"249.00","currency":"SEK","reference":"Order"}`))
			req.Header.Set("Authorization", "Bearer "+h.Key)
			rec := httptest.NewRecorder()
			h.App.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Fatal(rec.Code, rec.Body.String())
			}
		}
	})
}
