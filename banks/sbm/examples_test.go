package sbm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/banks/httpsig"
	"paybybank/banks/sbm"
	"paybybank/banks/sbm/sbmtest"
)

// TestExamples decodes every response example of seed 004 (banks/sbm/testdata, copied verbatim)
// through the connector's Start payment authorisation, as the bank would send it.
func TestExamples(t *testing.T) {
	const redirect = "https://openbanking.sbm.no/tap?route_secesb_id=1&flow=psd2&state=ca477daf-d824-4f0b-b405-6c8fc385dc0b&locale=no-NB, no; q=1.0"
	tests := []struct {
		file   string
		status int
		// what the connector must read: the redirect, or the error
		redirect, code, message string
	}{
		{"start_authorisation_401.json", 401, redirect, "", ""},
		// The seed's 201 example has a self link only, no scaRedirect: nothing to send the shopper to.
		{"start_authorisation_201.json", 201, "", "", "no scaRedirect link in the answer (scaStatus STARTED)"},
		{"start_authorisation_400_schema.json", 400, "", "ERROR_CODE", "error message appears here"},
		{"start_authorisation_400_format_error.json", 400, "", "FORMAT_ERROR", "Bad Request"},
		{"start_authorisation_404_schema.json", 404, "", "ERROR_CODE", "error message appears here"},
		{"start_authorisation_404_resource_unknown.json", 404, "", "RESOURCE_UNKNOWN", "Not Found"},
		{"start_authorisation_500_schema.json", 500, "", "ERROR_CODE", "error message appears here"},
		{"start_authorisation_500_system_error.json", 500, "", "SYSTEM_ERROR", "Internal Server Error"},
	}
	cert, key, err := httpsig.NewTestCertificate("Shop AS")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/authorisations") {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write(body)
			}))
			defer srv.Close()
			c := sbm.New(sbm.Config{Banks: []sbm.Bank{{BIC: bic, BaseURL: srv.URL}}, Cert: cert, Key: key, Backoff: time.Millisecond, MaxAttempts: 2, Logger: quiet})
			sca, err := c.StartSCA(context.Background(), banks.Order{BIC: bic, Product: "norwegian-domestic-credit-transfers", PaymentID: "NO!1/p", PSU: psu},
				banks.SCARequest{State: "s1", RedirectURI: "https://pay.example/callback"})
			if tt.redirect != "" {
				if err != nil || sca.RedirectURL != tt.redirect || sca.Approach != banks.Redirect {
					t.Fatalf("got %+v %v, want the redirect %q as given", sca, err, tt.redirect)
				}
				return
			}
			var be *banks.Error
			switch {
			case tt.code == "":
				if err == nil || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("got %+v %v, want %q", sca, err, tt.message)
				}
			case !errors.As(err, &be) || be.Status != tt.status || be.Code != tt.code || be.Message != tt.message || be.Retryable != (tt.status == 500):
				t.Fatalf("got %v, want %d %s %q", err, tt.status, tt.code, tt.message)
			}
		})
	}
}

// TestLinksFollowed: links the bank gives with the payment are followed (relative or full, on
// the bank's host), and one to another host is refused.
func TestLinksFollowed(t *testing.T) {
	c, b := setup(t, sbmtest.Forms{}, certificates[0].make)
	var links map[string]string
	b.before = func(w http.ResponseWriter, r *http.Request) bool {
		if p, ok := strings.CutPrefix(r.URL.EscapedPath(), "/alt"); ok { // a link the bank gave: served under /alt
			r.URL.RawPath = p
			r.URL.Path, _ = url.PathUnescape(p)
			return false
		}
		if r.Method != "POST" || strings.HasSuffix(r.URL.Path, "/authorisations") {
			return false
		}
		rec := httptest.NewRecorder()
		b.fake.ServeHTTP(rec, r)
		var out map[string]any
		json.Unmarshal(rec.Body.Bytes(), &out)
		id, _ := out["paymentId"].(string)
		self := "/alt/v1/payments/norwegian-domestic-credit-transfers/" + url.PathEscape(id)
		out["_links"] = map[string]any{"startAuthorisation": map[string]string{"href": b.srv.URL + self + "/authorisations"},
			"status": self + "/status", "self": map[string]string{"href": links["self"]}}
		if links["self"] == "" {
			out["_links"].(map[string]any)["self"] = self
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(out)
		return true
	}
	everyCall(t, c)
	ctx := context.Background()
	for i, r := range b.requests()[1:] {
		if !strings.HasPrefix(r.URL.EscapedPath(), "/alt/") {
			t.Errorf("call %d went to %s, not to the link the bank gave", i+1, r.URL.EscapedPath())
		}
	}
	links = map[string]string{"self": "https://elsewhere.example/v1/payments/x"}
	created, err := c.CreatePayment(ctx, request("NOK"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(b.requests())
	if err := c.Cancel(ctx, order(created)); err == nil || !strings.Contains(err.Error(), "not the provider's host") || len(b.requests()) != n {
		t.Fatalf("a link to another host was followed: %v", err)
	}
}
