package openpayments_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"paybybank/banks"
	op "paybybank/banks/openpayments"
	"paybybank/banks/openpayments/openpaymentstest"
)

func bulkRequest(bic string, corporate *banks.Corporate) banks.BulkRequest {
	return banks.BulkRequest{BIC: bic, Currency: "SEK", PSU: psu, Corporate: corporate,
		Debtor: banks.Account{IBAN: "SE7160000000000123456789", BBAN: "54910000003", ClearingNumber: "5491"},
		Payments: []banks.BulkPayment{
			{AmountMinor: 10050, Amount: "100.50", CreditorName: "Anna Andersson", Reference: "Refund 1",
				Creditor: banks.Account{IBAN: "SE3550000000054910000003", BBAN: "54910000003", ClearingNumber: "5491"}},
			{AmountMinor: 2000, Amount: "20.00", CreditorName: "Bo Berg", Reference: "Refund 2",
				Creditor: banks.Account{IBAN: "SE4550000000058398257466", BBAN: "58398257466", ClearingNumber: "5839"}},
		}}
}

// TestBulkInCorporateContext: two refunds from a company's account at SEB under one BankID
// authorisation; every call is made in the corporate context with the PSU-Corporate-ID, under the
// bulk-payments service, and the fake (which refuses anything else) settles the bulk.
func TestBulkInCorporateContext(t *testing.T) {
	c, fake, _ := setup(t, openpaymentstest.Forms{})
	ctx := context.Background()
	if !c.OffersBulk("ESSESESS") {
		t.Fatal("SEB's profile takes bulk-payments (the platform's default)")
	}
	corp := &banks.Corporate{Name: "Demo Shop AB", ID: "5560000001"}
	created, err := c.CreateBulkPayment(ctx, bulkRequest("ESSESESS", corp))
	if err != nil {
		t.Fatal(err)
	}
	if created.Extra[banks.ExtraService] != op.ServiceBulk || created.Extra[banks.ExtraPSUContext] != "CORPORATE" ||
		created.Extra[banks.ExtraCorporateID] != "5560000001" {
		t.Fatalf("the order does not remember its service and context: %v", created.Extra)
	}
	o := order("ESSESESS", created, nil)
	for k, v := range created.Extra {
		o.Extra[k] = v
	}
	sca, err := c.StartSCA(ctx, o, banks.SCARequest{})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sca.Extra {
		o.Extra[k] = v
	}
	o.AuthorisationID, o.Method = sca.AuthorisationID, sca.Method
	ord, err := fake.ScanQR(sca.QRData)
	if err != nil {
		t.Fatal(err)
	}
	if ord.Amount != "120.50" || ord.CreditorName != "2 payments" {
		t.Fatalf("the BankID app shows %+v, want the bulk's total to its two payees", ord)
	}
	if err := fake.Sign(ord.Ref, true); err != nil {
		t.Fatal(err)
	}
	if polled, err := c.PollSCA(ctx, o); err != nil || !polled.Finalised {
		t.Fatalf("after sign %+v %v", polled, err)
	}
	if st, err := c.Status(ctx, o); err != nil || st != "ACSC" {
		t.Fatalf("status %q %v", st, err)
	}
	var body op.BulkPaymentInitiation
	for _, call := range fake.Calls() {
		if !strings.HasPrefix(call.Path, "/psd2/") {
			continue // the token
		}
		if !strings.HasPrefix(call.Path, "/psd2/paymentinitiation/v1/bulk-payments/domestic") {
			t.Errorf("%s %s: not under the bulk service", call.Method, call.Path)
		}
		if call.Header.Get("PSU-Corporate-ID") != "5560000001" {
			t.Errorf("%s %s: PSU-Corporate-ID %q", call.Method, call.Path, call.Header.Get("PSU-Corporate-ID"))
		}
		if call.Method == "POST" && call.Path == "/psd2/paymentinitiation/v1/bulk-payments/domestic" {
			if err := json.Unmarshal([]byte(call.Body), &body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if body.DebtorAccount.IBAN != "SE7160000000000123456789" || len(body.Payments) != 2 || body.Payments[1].InstructedAmount.Amount != "20.00" ||
		body.Payments[0].CreditorName != "Anna Andersson" {
		t.Fatalf("bulk body %+v", body)
	}
}

// TestBulkAccountFormats: at Handelsbanken the bulk's debtor and creditors take the bank's own
// formats (bban; bban with clearing number), as its single payments do, or the fake refuses them.
func TestBulkAccountFormats(t *testing.T) {
	c, _, _ := setup(t, openpaymentstest.Forms{})
	if _, err := c.CreateBulkPayment(context.Background(), bulkRequest("HANDSESS", &banks.Corporate{Name: "Demo Shop AB"})); err != nil {
		t.Fatal(err)
	}
}

// TestCorporateSinglePayment: a single payment made for a company is created and followed in the
// corporate context.
func TestCorporateSinglePayment(t *testing.T) {
	c, fake, _ := setup(t, openpaymentstest.Forms{})
	ctx := context.Background()
	req := request("ESSESESS", "SEK")
	req.Corporate = &banks.Corporate{Name: "Demo Shop AB", ID: "5560000001"}
	created, err := c.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	o := order("ESSESESS", created, nil)
	for k, v := range created.Extra {
		o.Extra[k] = v
	}
	if st, err := c.Status(ctx, o); err != nil || st != "RCVD" {
		t.Fatalf("status %q %v", st, err)
	}
	if err := c.Cancel(ctx, o); err != nil {
		t.Fatal(err)
	}
	if fake.TransactionStatus(created.PaymentID) != "CANC" {
		t.Fatal("not cancelled")
	}
	// Without the context it was made in, the platform does not know the payment.
	delete(o.Extra, banks.ExtraPSUContext)
	delete(o.Extra, banks.ExtraCorporateID)
	if _, err := c.Status(ctx, o); err == nil {
		t.Fatal("a company's payment was read in the private context")
	}
}
