package openpaymentstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"paybybank/banks/openpayments/profiles"
)

// bulkBody is the yaml's bulkPaymentInitiation_json: payments and debtorAccount are required;
// paymentInformationId is commented out in the schema ("not all ASPSP are able to support this
// field now") yet present in the yaml's own example, so it is taken when given.
type bulkBody struct {
	BatchBookingPreferred  *flexBool     `json:"batchBookingPreferred,omitempty"`
	DebtorAccount          *accountRef   `json:"debtorAccount"`
	PaymentInformationID   string        `json:"paymentInformationId,omitempty"`
	RequestedExecutionDate string        `json:"requestedExecutionDate,omitempty"`
	RequestedExecutionTime string        `json:"requestedExecutionTime,omitempty"`
	Payments               []bulkElement `json:"payments"`
}

// bulkElement is the yaml's paymentInitiationBulkElement_json: a single payment's body without
// debtorAccount, requestedExecutionDate and requestedExecutionTime ("These data elements may not
// be contained in any bulk entry"). They are decoded here only to be refused by name.
type bulkElement struct {
	EndToEndIdentification            string          `json:"endToEndIdentification,omitempty"`
	InstructedAmount                  *amount         `json:"instructedAmount"`
	CreditorAccount                   *accountRef     `json:"creditorAccount"`
	CreditorAgent                     string          `json:"creditorAgent,omitempty"`
	CreditorName                      string          `json:"creditorName"`
	CreditorAddress                   json.RawMessage `json:"creditorAddress,omitempty"`
	RemittanceInformationUnstructured string          `json:"remittanceInformationUnstructured,omitempty"`
	DebtorAccount                     json.RawMessage `json:"debtorAccount,omitempty"`
	RequestedExecutionDate            json.RawMessage `json:"requestedExecutionDate,omitempty"`
	RequestedExecutionTime            json.RawMessage `json:"requestedExecutionTime,omitempty"`
}

// flexBool is batchBookingPreferred: the yaml's schema (batchBookingPreferred) is a boolean, its
// bulk example writes the string "true". Both are read; anything else is refused.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		data = []byte(s)
	}
	v, err := strconv.ParseBool(string(data))
	if err != nil || (string(data) != "true" && string(data) != "false") {
		return fmt.Errorf("batchBookingPreferred must be true or false")
	}
	*b = flexBool(v)
	return nil
}

// paymentService is the payment service a request's path names.
func paymentService(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/psd2/paymentinitiation/v1/bulk-payments/") {
		return "bulk-payments"
	}
	return "payments"
}

// tokenContext is the context ("private", "corporate") of the request's access token; f.mu is held.
func (f *Fake) tokenContext(r *http.Request) string {
	tok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	_, context, _ := strings.Cut(tok.scope, " ")
	return context
}

// createBulk is initiatePayment under the bulk-payments service (yaml POST
// /paymentinitiation/v1/{payment-service}/{payment-product} with bulkPaymentInitiation_json). It
// holds the body to the schema and each entry to the bank's rules for a single payment of the
// product, and creates one payment resource for the whole bulk: one authorisation, one status.
func (f *Fake) createBulk(w http.ResponseWriter, r *http.Request, bank Bank) {
	product := r.PathValue("product")
	if product != "domestic" && product != "sepa-credit-transfers" && product != "international" {
		// swedish-giro has no bulk element form (paymentInitiationBulkElement_json covers the
		// JSON products of single transfers).
		f.tppError(w, 404, "PRODUCT_UNKNOWN", "paymentProduct", "unknown payment product for bulk-payments")
		return
	}
	prof := profiles.For(bank.BIC)
	if !prof.OffersService("bulk-payments") {
		f.tppError(w, 400, "SERVICE_INVALID", "paymentService", bank.Name+" does not offer bulk-payments")
		return
	}
	if !prof.Offers(product) {
		f.tppError(w, 403, "PRODUCT_INVALID", "paymentProduct", bank.Name+" does not offer "+product)
		return
	}
	var body bulkBody
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		f.tppError(w, 400, "FORMAT_ERROR", "body", "malformed bulkPaymentInitiation_json: "+err.Error())
		return
	}
	if path, msg := f.checkBulk(bank, prof, product, &body); msg != "" {
		f.tppError(w, 400, "FORMAT_ERROR", path, msg)
		return
	}
	// The payment as the bank's pages and the BankID app show it: the total, to the creditors.
	var total int64
	var names []string
	for _, e := range body.Payments {
		total += minor(e.InstructedAmount.Amount)
		names = append(names, e.CreditorName)
	}
	summary := paymentBody{DebtorAccount: body.DebtorAccount,
		InstructedAmount: amount{Currency: body.Payments[0].InstructedAmount.Currency, Amount: fmt.Sprintf("%d.%02d", total/100, total%100)},
		CreditorName:     fmt.Sprintf("%d payments", len(body.Payments)), RemittanceInformationUnstructured: strings.Join(names, ", ")}
	if len([]rune(summary.RemittanceInformationUnstructured)) > 140 {
		summary.RemittanceInformationUnstructured = string([]rune(summary.RemittanceInformationUnstructured)[:140])
	}
	p := &fakePayment{id: uuid.NewString(), product: product, bic: bank.BIC, body: summary, bulk: &body, status: "RCVD",
		psuIP: r.Header.Get("PSU-IP-Address"), affiliate: r.Header.Get("X-AffiliatedASPSP-ID"), service: "bulk-payments",
		context: f.tokenContext(r), corporateID: r.Header.Get("PSU-Corporate-ID")}
	f.payments[p.id] = p
	base := "/psd2/paymentinitiation/v1/bulk-payments/" + product + "/" + p.id
	w.Header().Set("Location", f.href(r, base))
	writeJSON(w, 201, map[string]any{"transactionStatus": p.status, "paymentId": p.id,
		"_links": f.links(r, "self", base, "status", base+"/status", "startAuthorisation", base+"/authorisations")})
}

// checkBulk returns the path and text of the first rule the bulk breaks, or "" when it keeps them.
func (f *Fake) checkBulk(bank Bank, prof profiles.Profile, product string, body *bulkBody) (path, msg string) {
	switch {
	case body.DebtorAccount == nil:
		return "debtorAccount", "debtorAccount is required in a bulk payment"
	case len(body.Payments) == 0:
		return "payments", "payments is required and must not be empty"
	case len(body.PaymentInformationID) > 35:
		return "paymentInformationId", "paymentInformationId is at most 35 characters"
	}
	if body.RequestedExecutionDate != "" {
		if _, err := time.Parse("2006-01-02", body.RequestedExecutionDate); err != nil {
			return "requestedExecutionDate", "requestedExecutionDate must be a date (YYYY-MM-DD)"
		}
	}
	if body.RequestedExecutionTime != "" {
		if _, err := time.Parse(time.RFC3339, body.RequestedExecutionTime); err != nil {
			return "requestedExecutionTime", "requestedExecutionTime must be a date-time"
		}
	}
	if m := accountFormatError(body.DebtorAccount); m != "" {
		return "debtorAccount", "debtorAccount " + m
	}
	if m := checkAccount(prof.DebtorFormat, body.DebtorAccount); m != "" {
		return "debtorAccount", "debtorAccount " + m + " at " + bank.BIC
	}
	currency := ""
	for i, e := range body.Payments {
		at := fmt.Sprintf("payments[%d].", i)
		switch {
		case e.DebtorAccount != nil:
			return at + "debtorAccount", "debtorAccount may not be contained in any bulk entry"
		case e.RequestedExecutionDate != nil:
			return at + "requestedExecutionDate", "requestedExecutionDate may not be contained in any bulk entry"
		case e.RequestedExecutionTime != nil:
			return at + "requestedExecutionTime", "requestedExecutionTime may not be contained in any bulk entry"
		case e.InstructedAmount == nil:
			return at + "instructedAmount", "instructedAmount is mandatory"
		case e.CreditorAccount == nil:
			return at + "creditorAccount", "creditorAccount is mandatory"
		case e.CreditorName == "" || len([]rune(e.CreditorName)) > 70:
			return at + "creditorName", "creditorName is mandatory, at most 70 characters"
		case !amountPattern.MatchString(e.InstructedAmount.Amount) || strings.HasPrefix(e.InstructedAmount.Amount, "-"):
			return at + "instructedAmount.amount", "amount must be a positive decimal with at most two decimals"
		case !currencyPattern.MatchString(e.InstructedAmount.Currency):
			return at + "instructedAmount.currency", "currency must be an ISO 4217 code"
		case currency != "" && e.InstructedAmount.Currency != currency:
			return at + "instructedAmount.currency", "every payment of a bulk is in one currency"
		case !contains(bank.Currencies, e.InstructedAmount.Currency):
			return at + "instructedAmount.currency", bank.Name + " does not pay in " + e.InstructedAmount.Currency
		case (product == "sepa-credit-transfers") != (e.InstructedAmount.Currency == "EUR"):
			return "paymentProduct", "sepa-credit-transfers is for EUR only"
		case len([]rune(e.EndToEndIdentification)) > 35:
			return at + "endToEndIdentification", "endToEndIdentification is at most 35 characters"
		case len([]rune(e.RemittanceInformationUnstructured)) > prof.RemittanceLimit(product, false):
			return at + "remittanceInformationUnstructured", fmt.Sprintf("at most %d characters at %s", prof.RemittanceLimit(product, false), bank.Name)
		case e.CreditorAgent != "" && !bicPattern.MatchString(e.CreditorAgent):
			return at + "creditorAgent", "creditorAgent must be a BICFI"
		}
		currency = e.InstructedAmount.Currency
		if m := accountFormatError(e.CreditorAccount); m != "" {
			return at + "creditorAccount", "creditorAccount " + m
		}
		if m := checkAccount(prof.CreditorFormat, e.CreditorAccount); m != "" {
			return at + "creditorAccount", "creditorAccount " + m + " at " + bank.BIC
		}
	}
	return "", ""
}

// minor is a checked decimal amount in minor units.
func minor(s string) int64 {
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	return n*100 + c
}
