package openpayments_test

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
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"paybybank/banks"
	op "paybybank/banks/openpayments"
)

// scripted is a platform that answers each API call with one of the yaml's examples in testdata,
// exactly as the file has it, chosen by the call's method; it records the calls.
type scripted struct {
	mu      sync.Mutex
	answers map[string]answer // by HTTP method
	calls   []string          // "METHOD path"
}

// answer is a status, an example file (or, where no example shows the form, a body) and the
// headers to send with it.
type answer struct {
	status int
	file   string
	header map[string]string
	body   string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/connect/token" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"tok","expires_in":3600,"token_type":"Bearer"}`)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	a, ok := s.answers[r.Method]
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	body, err := []byte(a.body), error(nil)
	if a.file != "" {
		body, err = os.ReadFile(filepath.Join("testdata", a.file))
	}
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write(body)
}

func (s *scripted) called() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// TestDocumentExamples reads every response example of the yaml (testdata/README.md names each
// one's place) through the connector: the file is the platform's answer to the call it documents,
// and the test checks what the connector made of it. A file the table does not cover fails it.
func TestDocumentExamples(t *testing.T) {
	const pid = "1234-wertiq-983"
	payment := banks.Order{BIC: "ESSESESS", Product: "sepa-credit-transfers", PaymentID: pid, PSU: psu, Extra: map[string]string{}}
	consent := banks.Order{BIC: "ESSESESS", Product: banks.ConsentProduct, PaymentID: pid, PSU: psu, Extra: map[string]string{}}
	bankError := func(status int, code string) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var be *banks.Error
			if !errors.As(err, &be) || be.Status != status || be.Code != code || be.Message == "" {
				t.Fatalf("want %d %s: %v", status, code, err)
			}
		}
	}
	created := func(file string, want map[string]string) func(t *testing.T, c *op.Client, s *scripted) {
		return func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"POST": {status: 201, file: file}}
			cr, err := c.CreatePayment(context.Background(), request("ESSESESS", "EUR"))
			if err != nil || cr.PaymentID != pid || cr.BankStatus != "RCVD" {
				t.Fatalf("created %+v, %v", cr, err)
			}
			for _, k := range []string{"link_start", "link_status", "link_self"} {
				if cr.Extra[k] != want[k] {
					t.Errorf("%s = %q, want %q", k, cr.Extra[k], want[k])
				}
			}
		}
	}
	createdConsent := func(file string) func(t *testing.T, c *op.Client, s *scripted) {
		return func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"POST": {status: 201, file: file}}
			if id, err := c.CreateConsent(context.Background(), "ESSESESS", psu); err != nil || id != pid {
				t.Fatalf("consent %q, %v", id, err)
			}
		}
	}
	accounts := func(file string, want []banks.AccountInfo) func(t *testing.T, c *op.Client, s *scripted) {
		return func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"GET": {status: 200, file: file}}
			list, err := c.Accounts(context.Background(), consent)
			if err != nil || !slices.Equal(list, want) {
				t.Fatalf("accounts %+v, %v", list, err)
			}
		}
	}
	listError := func(file string, status int, code string) func(t *testing.T, c *op.Client, s *scripted) {
		return func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"GET": {status: status, file: file}}
			_, err := c.Banks(context.Background())
			bankError(status, code)(t, err)
			if n := len(s.called()); n != 1 {
				t.Fatalf("%d calls for a %d, want 1 (neither retried nor a token renewal)", n, status)
			}
		}
	}
	info := func(name, iban, cur string) banks.AccountInfo {
		return banks.AccountInfo{Name: name, IBAN: iban, Currency: cur}
	}
	tests := map[string]func(t *testing.T, c *op.Client, s *scripted){
		// The bank list's example is wrapped in "aspsps" and has no id: the BIC is bicFi.
		"getASPSPList.json": func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"GET": {status: 200, file: "getASPSPList.json"}}
			list, err := c.Banks(context.Background())
			if err != nil || len(list) != 1 {
				t.Fatalf("banks %+v, %v", list, err)
			}
			b := list[0]
			if b.BIC != "OPBKSE21" || b.Name != "Demo Bank One (EUR)" || b.Country != "SE" ||
				b.LogoURL != "https://openbankingplatform.blob.core.windows.net/image/OPBKSE21.png" {
				t.Fatalf("bank %+v", b)
			}
		},
		"getASPSPList_error400.json": listError("getASPSPList_error400.json", 400, "FORMAT_ERROR"),
		// UNAUTHORIZED is no token code: the token is not renewed for it.
		"getASPSPList_error401.json":    listError("getASPSPList_error401.json", 401, "UNAUTHORIZED"),
		"getASPSPDetails_error404.json": listError("getASPSPDetails_error404.json", 404, "RESOURCE_NOT_FOUND"),
		// The connector does not call getASPSPDetails (the bank's rules are in profiles.json): its
		// answer is read with the list's item type, whose fields it shares.
		"getASPSPDetails.json": func(t *testing.T, _ *op.Client, _ *scripted) {
			raw, err := os.ReadFile("testdata/getASPSPDetails.json")
			if err != nil {
				t.Fatal(err)
			}
			var a op.ASPSP
			if err := json.Unmarshal(raw, &a); err != nil || a.BICFI != "ESSESESS" || a.Name != "Skandinaviska Enskilda Banken AB " ||
				a.LogoURL != "https://opeopenbanking.blob.core.windows.net/images/ESSESESS.jpg" {
				t.Fatalf("details %+v, %v", a, err)
			}
		},
		"initiatePayment_redirect.json": created("initiatePayment_redirect.json", map[string]string{
			"link_self": "/v1/payments/sepa-credit-transfers/1234-wertiq-983", "link_status": "/v1/payments/1234-wertiq-983/status"}),
		"initiatePayment_redirectExplicitAuthorisation.json": created("initiatePayment_redirectExplicitAuthorisation.json", map[string]string{
			"link_self": "/v1/payments/1234-wertiq-983", "link_status": "/v1/payments/1234-wertiq-983/status",
			"link_start": "/v1/payments1234-wertiq-983/authorisations"}),
		"initiatePayment_oauth2.json": created("initiatePayment_oauth2.json", map[string]string{
			"link_self": "/v1/payments/1234-wertiq-983", "link_status": "/v1/payments/1234-wertiq-983/status"}),
		"initiatePayment_decoupled.json": created("initiatePayment_decoupled.json", map[string]string{
			"link_self": "/v1/payments/1234-wertiq-983", "link_start": "/v1/payments/1234-wertiq-983/authorisations"}),
		// Embedded SCA's start link (startAuthenticationWithPsuAuthentication) is not followed.
		"initiatePayment_embedded.json": created("initiatePayment_embedded.json", map[string]string{
			"link_self": "/v1/payments/1234-wertiq-983"}),
		// The decoupled path of the yaml, end to end: the start link of the creation, then the
		// scaStatus link of the start (the only one it gives) for the method selection, whose
		// answer spells its status scatransactionStatus.
		"startPaymentAuthorisation.json": func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"POST": {status: 201, file: "initiatePayment_decoupled.json"}}
			cr, err := c.CreatePayment(context.Background(), request("ESSESESS", "EUR"))
			if err != nil {
				t.Fatal(err)
			}
			s.answers = map[string]answer{"POST": {status: 201, file: "startPaymentAuthorisation.json"},
				"PUT": {status: 200, file: "updatePaymentPsuData_decoupledIdentification.json", header: map[string]string{"ASPSP-SCA-Approach": "DECOUPLED"}}}
			o := payment
			o.Extra = cr.Extra
			sca, err := c.StartSCA(context.Background(), o, banks.SCARequest{})
			if err != nil {
				t.Fatal(err)
			}
			if sca.AuthorisationID != "123auth456" || sca.Approach != banks.Decoupled || sca.Status != "psuIdentified" ||
				sca.Hint != "Please use your BankApp for transaction Authorisation." ||
				sca.Extra["link_sca_status"] != "/v1/payments/qwer3456tzui7890/authorisations/123auth456" {
				t.Fatalf("sca %+v", sca)
			}
			want := []string{"POST /psd2/paymentinitiation/v1/payments/sepa-credit-transfers",
				"POST /psd2/paymentinitiation/v1/payments/1234-wertiq-983/authorisations",
				"PUT /psd2/paymentinitiation/v1/payments/qwer3456tzui7890/authorisations/123auth456"}
			if got := s.called(); !slices.Equal(got, want) {
				t.Fatalf("calls %q, want %q", got, want)
			}
		},
		"updatePaymentPsuData_decoupledIdentification.json": func(t *testing.T, c *op.Client, s *scripted) {
			// Also the answer to a poll: scaStatus read under the example's spelling.
			s.answers = map[string]answer{"GET": {status: 200, file: "updatePaymentPsuData_decoupledIdentification.json"}}
			o := payment
			o.AuthorisationID = "123auth456"
			sca, err := c.PollSCA(context.Background(), o)
			if err != nil || sca.Status != "psuIdentified" || sca.Finalised || sca.Failed {
				t.Fatalf("poll %+v, %v", sca, err)
			}
		},
		// Embedded SCA (a one-time code typed on our page) is not offered by the connector: the
		// answers are refused, never read as decoupled or redirect.
		"updatePaymentPsuData_embeddedAuthentication.json": embedded("updatePaymentPsuData_embeddedAuthentication.json"),
		"updatePaymentPsuData_embeddedSelectMethod.json":   embedded("updatePaymentPsuData_embeddedSelectMethod.json"),
		"updatePaymentPsuData_transactionAuthorisation.json": func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"GET": {status: 200, file: "updatePaymentPsuData_transactionAuthorisation.json"}}
			o := payment
			o.AuthorisationID = "123auth456"
			o.Extra = map[string]string{"link_sca_status": "v1/payments/1234-wertiq-983/authorisations/123auth456"}
			sca, err := c.PollSCA(context.Background(), o)
			if err != nil || !sca.Finalised || sca.Status != "finalised" {
				t.Fatalf("poll %+v, %v", sca, err)
			}
			// A relative link without its leading slash is from the service too.
			if got := s.called(); !slices.Equal(got, []string{"GET /psd2/paymentinitiation/v1/payments/1234-wertiq-983/authorisations/123auth456"}) {
				t.Fatalf("calls %q", got)
			}
		},
		"getPaymentInitiationStatus_simple.json":   status("getPaymentInitiationStatus_simple.json", payment, "ACCP"),
		"getPaymentInitiationStatus_extended.json": status("getPaymentInitiationStatus_extended.json", payment, "ACCP"),
		"getConsentStatus.json":                    status("getConsentStatus.json", consent, "valid"),
		"cancelPayment_202.json": func(t *testing.T, c *op.Client, s *scripted) {
			s.answers = map[string]answer{"DELETE": {status: 202, file: "cancelPayment_202.json"}}
			o := payment
			o.Extra = map[string]string{"link_self": "/v1/payments/123456scheduled789"}
			err := c.Cancel(context.Background(), o)
			bankError(202, op.CodeCancellationNeedsAuthorisation)(t, err)
			if !strings.Contains(err.Error(), "ACTC") {
				t.Fatalf("cancel: %v", err)
			}
			if got := s.called(); !slices.Equal(got, []string{"DELETE /psd2/paymentinitiation/v1/payments/123456scheduled789"}) {
				t.Fatalf("calls %q", got)
			}
		},
		"createConsent_redirect.json":                      createdConsent("createConsent_redirect.json"),
		"createConsent_redirectExplicitAuthorisation.json": createdConsent("createConsent_redirectExplicitAuthorisation.json"),
		"createConsent_oauth2.json":                        createdConsent("createConsent_oauth2.json"),
		"createConsent_decoupled.json":                     createdConsent("createConsent_decoupled.json"),
		"createConsent_embedded.json":                      createdConsent("createConsent_embedded.json"),
		"getAccountList_1.json": accounts("getAccountList_1.json", []banks.AccountInfo{
			info("Main Account", "DE2310010010123456789", "EUR"), info("US Dollar Account", "DE2310010010123456788", "USD")}),
		"getAccountList_2.json": accounts("getAccountList_2.json", []banks.AccountInfo{
			info("Main Account", "DE2310010010123456788", "EUR"), info("US Dollar Account", "DE2310010010123456788", "USD")}),
		"getAccountList_3.json": accounts("getAccountList_3.json", []banks.AccountInfo{
			info("Aggregation Account", "DE2310010010123456788", "XXX"), info("Main Account", "DE2310010010123456788", "EUR"),
			info("US Dollar Account", "DE2310010010123456788", "USD")}),
	}
	tests["getPaymentInformation_sct.json"] = func(t *testing.T, c *op.Client, s *scripted) {
		// The payment resource, read for the account it came from: the IBAN of the example's
		// debtorAccount, its country from it; the answer's other fields are not the connector's.
		s.answers = map[string]answer{"GET": {status: 200, file: "getPaymentInformation_sct.json"}}
		payer, err := c.Payer(context.Background(), payment)
		if err != nil || payer == nil || payer.Account.IBAN != "DE40100100103307118608" || payer.Account.Country != "DE" {
			t.Fatalf("payer %+v, %v", payer, err)
		}
		if got := s.called(); !slices.Equal(got, []string{"GET /psd2/paymentinitiation/v1/payments/sepa-credit-transfers/" + pid}) {
			t.Fatalf("calls %q", got)
		}
	}
	// The one request example: the yaml's bulk body reads into the connector's bulk wire types,
	// every field of an entry known to them.
	tests["initiateBulkPayment_sepa.json"] = func(t *testing.T, _ *op.Client, _ *scripted) {
		b, err := os.ReadFile("testdata/initiateBulkPayment_sepa.json")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			BatchBookingPreferred  string              `json:"batchBookingPreferred"`
			DebtorAccount          op.AccountReference `json:"debtorAccount"`
			PaymentInformationID   string              `json:"paymentInformationId"`
			RequestedExecutionDate string              `json:"requestedExecutionDate"`
			Payments               []op.BulkPaymentEntry
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if doc.DebtorAccount.IBAN != "DE40100100103307118608" || len(doc.Payments) != 2 ||
			doc.Payments[0].InstructedAmount != (op.Amount{Currency: "EUR", Amount: "123.50"}) ||
			doc.Payments[1].CreditorAccount.IBAN != "FR7612345987650123456789014" || doc.Payments[1].RemittanceInformationUnstructured != "Ref Number Merchant 2" {
			t.Fatalf("%+v", doc)
		}
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) != 29 {
		t.Fatalf("%d example files, want 29: %v", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		run, ok := tests[name]
		if !ok {
			t.Errorf("%s: no test reads it", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			s := &scripted{}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := op.New(op.Config{ClientID: "cid", ClientSecret: "secret", AuthURL: srv.URL, APIURL: srv.URL, Countries: []string{"SE"},
				MaxAttempts: 1, Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			run(t, c, s)
		})
	}
}

func embedded(file string) func(t *testing.T, c *op.Client, s *scripted) {
	return func(t *testing.T, c *op.Client, s *scripted) {
		s.answers = map[string]answer{"POST": {status: 201, file: "startPaymentAuthorisation.json"}, "PUT": {status: 200, file: file}}
		o := banks.Order{BIC: "ESSESESS", Product: "sepa-credit-transfers", PaymentID: "1234-wertiq-983", PSU: psu, Extra: map[string]string{}}
		sca, err := c.StartSCA(context.Background(), o, banks.SCARequest{})
		if err == nil || !strings.Contains(err.Error(), "no ASPSP-SCA-Approach header") {
			t.Fatalf("embedded answer read as %+v, %v", sca, err)
		}
	}
}

func status(file string, o banks.Order, want string) func(t *testing.T, c *op.Client, s *scripted) {
	return func(t *testing.T, c *op.Client, s *scripted) {
		s.answers = map[string]answer{"GET": {status: 200, file: file}}
		if st, err := c.Status(context.Background(), o); err != nil || st != want {
			t.Fatalf("status %q, %v, want %q", st, err, want)
		}
	}
}

// TestChallengeForms reads the method selection's answer in each documented form: challengeData.data
// as the yaml's string or the seed's array, image as a base64 PNG, and the approach from the body
// where the optional ASPSP-SCA-Approach header is absent.
func TestChallengeForms(t *testing.T) {
	png, err := qrcode.Encode("bankid.token.0.code", qrcode.Low, 64)
	if err != nil {
		t.Fatal(err)
	}
	img := base64.StdEncoding.EncodeToString(png)
	const start = `{"scaStatus":"received","authorisationId":"a1","scaMethods":[{"authenticationType":"PUSH_OTP","authenticationMethodId":"%s"}],` +
		`"_links":{"scaStatus":{"href":"/psd2/paymentinitiation/v1/payments/domestic/p1/authorisations/a1"}}}`
	tests := []struct {
		name, method, answer string
		header               map[string]string
		check                func(sca *banks.SCA) bool
		wantErr              string
	}{
		{"data as a string", op.MethodAnimatedQRToken, `{"scaStatus":"started","challengeData":{"data":"bankid.t.0.c"}}`, nil,
			func(s *banks.SCA) bool { return s.Approach == banks.Decoupled && s.QRData == "bankid.t.0.c" }, ""},
		{"data as an array", op.MethodAnimatedQRToken, `{"scaStatus":"started","challengeData":{"data":["bankid.t.0.c"]}}`, nil,
			func(s *banks.SCA) bool { return s.Approach == banks.Decoupled && s.QRData == "bankid.t.0.c" }, ""},
		{"autostart token as a string", op.MethodSameDevice, `{"scaStatus":"started","challengeData":{"data":"tok-1"}}`, nil,
			func(s *banks.SCA) bool {
				return s.Approach == banks.Decoupled && s.AutostartToken == "tok-1" && s.QRData == ""
			}, ""},
		{"image", op.MethodAnimatedQRImage, `{"scaStatus":"started","challengeData":{"image":"` + img + `"}}`, nil,
			func(s *banks.SCA) bool { return s.Approach == banks.Decoupled && bytes.Equal(s.QRImage, png) }, ""},
		{"image not a PNG", op.MethodAnimatedQRImage, `{"scaStatus":"started","challengeData":{"image":"` + base64.StdEncoding.EncodeToString([]byte("GIF89a")) + `"}}`, nil,
			nil, "not a PNG"},
		{"image not base64", op.MethodAnimatedQRImage, `{"scaStatus":"started","challengeData":{"image":"%%%"}}`, nil, nil, "not base64"},
		{"scaOAuth without the header", "oauth_redirect", `{"scaStatus":"scaMethodSelected","_links":{"scaOAuth":{"href":"https://bank.example/authorize?client_id=[CLIENT_ID]&state=[TPP_STATE]"}}}`, nil,
			func(s *banks.SCA) bool {
				return s.Approach == banks.Redirect && s.RedirectURL == "https://bank.example/authorize?client_id=cid&state=st" && s.Extra["oauth"] == "1"
			}, ""},
		{"scaRedirect without the header", "oauth_redirect", `{"scaStatus":"scaMethodSelected","_links":{"scaRedirect":{"href":"https://bank.example/sca/1"}}}`, nil,
			func(s *banks.SCA) bool {
				return s.Approach == banks.Redirect && s.RedirectURL == "https://bank.example/sca/1"
			}, ""},
		{"the header wins", op.MethodAnimatedQRToken, `{"scaStatus":"started","challengeData":{"data":"bankid.t.0.c"}}`,
			map[string]string{"ASPSP-SCA-Approach": "EMBEDDED"}, nil, `unsupported SCA approach "EMBEDDED"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{answers: map[string]answer{"POST": {status: 201, body: fmt.Sprintf(start, tt.method)}, "PUT": {status: 200, body: tt.answer, header: tt.header}}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := op.New(op.Config{ClientID: "cid", ClientSecret: "secret", AuthURL: srv.URL, APIURL: srv.URL, MaxAttempts: 1,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			o := banks.Order{BIC: "ESSESESS", Product: "domestic", PaymentID: "p1", PSU: psu, Extra: map[string]string{}}
			sca, err := c.StartSCA(context.Background(), o, banks.SCARequest{State: "st", RedirectURI: callback})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %+v, %v; want an error with %q", sca, err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(sca) {
				t.Fatalf("sca %+v, %v", sca, err)
			}
			// The selection followed the start's only link, scaStatus.
			if got := s.called(); got[len(got)-1] != "PUT /psd2/paymentinitiation/v1/payments/domestic/p1/authorisations/a1" {
				t.Fatalf("calls %q", got)
			}
		})
	}
}

// TestErrorForms reads the platform's refusals in both of the yaml's forms on any status
// (tppMessages, Error4xx_NG_*; RFC 7807 problem+json, Error4xx_*), and the statuses the yaml
// answers with no body (415, 429, 5xx).
func TestErrorForms(t *testing.T) {
	tpp := func(code string) string {
		return `{"tppMessages":[{"category":"ERROR","code":"` + code + `","path":"paymentId","text":"refused"}]}`
	}
	problem := func(code string) string {
		return `{"type":"https://berlingroup.com/error-codes/` + code + `","title":"refused","detail":"refused","code":"` + code + `"}`
	}
	tests := []struct {
		status    int
		body      string
		code      string
		retryable bool
	}{
		{400, tpp("FORMAT_ERROR"), "FORMAT_ERROR", false},
		{400, problem("FORMAT_ERROR"), "FORMAT_ERROR", false},
		{403, tpp("RESOURCE_UNKNOWN"), "RESOURCE_UNKNOWN", false},
		{403, problem("PRODUCT_INVALID"), "PRODUCT_INVALID", false},
		{404, tpp("RESOURCE_UNKNOWN"), "RESOURCE_UNKNOWN", false},
		{404, problem("RESOURCE_UNKNOWN"), "RESOURCE_UNKNOWN", false},
		{405, tpp("CANCELLATION_INVALID"), "CANCELLATION_INVALID", false},
		{405, problem("CANCELLATION_INVALID"), "CANCELLATION_INVALID", false},
		{409, tpp("STATUS_INVALID"), "STATUS_INVALID", false},
		{409, problem("STATUS_INVALID"), "STATUS_INVALID", false},
		{415, "", "", false},
		{429, "", "", true},
		{500, "", "", true},
		{503, "", "", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.body), func(t *testing.T) {
			s := &scripted{answers: map[string]answer{"GET": {status: tt.status, body: tt.body}}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := op.New(op.Config{ClientID: "cid", ClientSecret: "secret", AuthURL: srv.URL, APIURL: srv.URL, MaxAttempts: 1,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			_, err := c.Status(context.Background(), banks.Order{BIC: "ESSESESS", Product: "domestic", PaymentID: "p1", PSU: psu})
			var be *banks.Error
			if !errors.As(err, &be) || be.Status != tt.status || be.Code != tt.code || be.Retryable != tt.retryable || be.Message == "" {
				t.Fatalf("%+v, %v", be, err)
			}
		})
	}
}
