package openpaymentstest

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

const sebBulkBase = "/psd2/paymentinitiation/v1/bulk-payments/domestic"

// A bulk of two refunds from a business account at SEB, in the yaml's bulkPaymentInitiation_json.
const sebBulk = `{"batchBookingPreferred":false,"debtorAccount":{"iban":"SE7160000000000123456789","currency":"SEK"},
"payments":[{"instructedAmount":{"currency":"SEK","amount":"100.50"},"creditorName":"Anna Andersson",
"creditorAccount":{"iban":"SE3550000000054910000003","currency":"SEK"},"remittanceInformationUnstructured":"Refund 1"},
{"instructedAmount":{"currency":"SEK","amount":"20.00"},"creditorName":"Bo Berg",
"creditorAccount":{"iban":"SE4550000000058398257466","currency":"SEK"},"remittanceInformationUnstructured":"Refund 2"}]}`

// TestFakeTakesTheDocumentedBulkExample posts the yaml's own bulk example (testdata/README.md says
// what was repaired to make it JSON) and follows the bulk under its service.
func TestFakeTakesTheDocumentedBulkExample(t *testing.T) {
	example, err := os.ReadFile("../testdata/initiateBulkPayment_sepa.json")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Forms{})
	tok := c.token("paymentinitiation corporate")
	resp, b := c.do("POST", "/psd2/paymentinitiation/v1/bulk-payments/sepa-credit-transfers", tok, "ESSESESS", string(example), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("documented bulk: %d %s", resp.StatusCode, b)
	}
	m := decode(t, b)
	id, _ := m["paymentId"].(string)
	links, _ := m["_links"].(map[string]any)
	if id == "" || m["transactionStatus"] != "RCVD" || links["startAuthorisation"] == nil {
		t.Fatalf("answer %s", b)
	}
	base := "/psd2/paymentinitiation/v1/bulk-payments/sepa-credit-transfers/" + id
	if resp, b := c.do("GET", base+"/status", tok, "ESSESESS", "", nil); resp.StatusCode != 200 || decode(t, b)["transactionStatus"] != "RCVD" {
		t.Fatalf("status: %d %s", resp.StatusCode, b)
	}
	// The bulk is a bulk: not a single payment's resource.
	if resp, b := c.do("GET", "/psd2/paymentinitiation/v1/payments/sepa-credit-transfers/"+id+"/status", tok, "ESSESESS", "", nil); resp.StatusCode != 404 {
		t.Fatalf("bulk read as a single payment: %d %s", resp.StatusCode, b)
	}
	// One authorisation covers the whole bulk.
	if resp, b := c.do("POST", base+"/authorisations", tok, "ESSESESS", "{}", nil); resp.StatusCode != 201 {
		t.Fatalf("start authorisation: %d %s", resp.StatusCode, b)
	}
}

// TestFakeRejectsBulk holds bulk bodies to bulkPaymentInitiation_json and its entries to
// paymentInitiationBulkElement_json and the bank's rules.
func TestFakeRejectsBulk(t *testing.T) {
	c := newClient(t, Forms{})
	tok := c.token("paymentinitiation corporate")
	if resp, b := c.do("POST", sebBulkBase, tok, "ESSESESS", sebBulk, nil); resp.StatusCode != 201 {
		t.Fatalf("a good bulk: %d %s", resp.StatusCode, b)
	}
	edit := func(old, new string) string {
		if !strings.Contains(sebBulk, old) {
			t.Fatalf("%q not in the bulk", old)
		}
		return strings.Replace(sebBulk, old, new, 1)
	}
	tests := []struct {
		name, path, body, code string
		status                 int
	}{
		{"no debtorAccount", sebBulkBase, edit(`"debtorAccount":{"iban":"SE7160000000000123456789","currency":"SEK"},`, ``), "FORMAT_ERROR", 400},
		{"no payments", sebBulkBase, `{"debtorAccount":{"iban":"SE7160000000000123456789"},"payments":[]}`, "FORMAT_ERROR", 400},
		{"debtorAccount in an entry", sebBulkBase, edit(`"creditorName":"Bo Berg",`, `"creditorName":"Bo Berg","debtorAccount":{"iban":"SE7160000000000123456789"},`), "FORMAT_ERROR", 400},
		{"requestedExecutionDate in an entry", sebBulkBase, edit(`"creditorName":"Bo Berg",`, `"creditorName":"Bo Berg","requestedExecutionDate":"2030-01-01",`), "FORMAT_ERROR", 400},
		{"entry without creditorName", sebBulkBase, edit(`"creditorName":"Bo Berg",`, ``), "FORMAT_ERROR", 400},
		{"entry without instructedAmount", sebBulkBase, edit(`"instructedAmount":{"currency":"SEK","amount":"20.00"},`, ``), "FORMAT_ERROR", 400},
		{"entry amount as a number", sebBulkBase, edit(`"amount":"20.00"`, `"amount":20`), "FORMAT_ERROR", 400},
		{"two currencies", sebBulkBase, edit(`{"currency":"SEK","amount":"20.00"}`, `{"currency":"EUR","amount":"20.00"}`), "FORMAT_ERROR", 400},
		{"batchBookingPreferred not a boolean", sebBulkBase, edit(`"batchBookingPreferred":false`, `"batchBookingPreferred":"maybe"`), "FORMAT_ERROR", 400},
		{"a field the schema lacks", sebBulkBase, edit(`"payments":[`, `"totalAmount":"120.50","payments":[`), "FORMAT_ERROR", 400},
		{"debtor in the wrong format for the bank", "/psd2/paymentinitiation/v1/bulk-payments/domestic", strings.Replace(sebBulk, `"debtorAccount":{"iban":"SE7160000000000123456789","currency":"SEK"}`, `"debtorAccount":{"bban":"1234567","currency":"SEK"}`, 1), "FORMAT_ERROR", 400},
		{"swedish-giro has no bulk form", "/psd2/paymentinitiation/v1/bulk-payments/swedish-giro", sebBulk, "PRODUCT_UNKNOWN", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.do("POST", tt.path, tok, "ESSESESS", tt.body, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if _, code := errorCode(t, resp, b); code != tt.code {
				t.Fatalf("code %q, want %q: %s", code, tt.code, b)
			}
		})
	}
}

// TestFakeCorporateContext: PSU-Corporate-ID belongs to the corporate context, and a payment made
// for a company is followed in that context, with the same PSU-Corporate-ID.
func TestFakeCorporateContext(t *testing.T) {
	c := newClient(t, Forms{})
	private := c.token("paymentinitiation private")
	corporate := c.token("paymentinitiation corporate")
	withCorp := func(id string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("PSU-Corporate-ID", id) }
	}
	if resp, b := c.do("POST", sebBase, private, "ESSESESS", sebPayment, withCorp("5560000001")); resp.StatusCode != 400 {
		t.Fatalf("PSU-Corporate-ID under a private token: %d %s", resp.StatusCode, b)
	} else if _, code := errorCode(t, resp, b); code != "PARAMETER_NOT_CONSISTENT" {
		t.Fatalf("code %s", code)
	}
	resp, b := c.do("POST", sebBulkBase, corporate, "ESSESESS", sebBulk, withCorp("5560000001"))
	if resp.StatusCode != 201 {
		t.Fatalf("corporate bulk: %d %s", resp.StatusCode, b)
	}
	status := sebBulkBase + "/" + decode(t, b)["paymentId"].(string) + "/status"
	if resp, b := c.do("GET", status, private, "ESSESESS", "", nil); resp.StatusCode != 401 {
		t.Fatalf("a company's payment read with a private token: %d %s", resp.StatusCode, b)
	}
	if resp, b := c.do("GET", status, corporate, "ESSESESS", "", nil); resp.StatusCode != 400 {
		t.Fatalf("without its PSU-Corporate-ID: %d %s", resp.StatusCode, b)
	}
	if resp, b := c.do("GET", status, corporate, "ESSESESS", "", withCorp("5560000002")); resp.StatusCode != 400 {
		t.Fatalf("with another PSU-Corporate-ID: %d %s", resp.StatusCode, b)
	}
	if resp, b := c.do("GET", status, corporate, "ESSESESS", "", withCorp("5560000001")); resp.StatusCode != 200 {
		t.Fatalf("in its context: %d %s", resp.StatusCode, b)
	}
}
