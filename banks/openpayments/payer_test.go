package openpayments_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"paybybank/banks"
	op "paybybank/banks/openpayments"
	"paybybank/banks/openpayments/openpaymentstest"
)

func TestPayer(t *testing.T) { inEveryForm(t, testPayer) }

// testPayer reads the account a payment came from on the payment resource: absent while the
// shopper has not chosen it at a bank that lets them (Danske Bank SE), the chosen one after SCA,
// and the one sent on creation at a bank that needs it, in the bank's own format (Handelsbanken's
// BBAN).
func testPayer(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()

	req := request("DABASESX", "SEK")
	req.Debtor = nil
	created, err := c.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	payer, err := c.Payer(ctx, order("DABASESX", created, nil))
	if err != nil || payer != nil {
		t.Fatalf("before SCA: %+v, %v; want no account", payer, err)
	}
	last := fake.Calls()[len(fake.Calls())-1]
	if last.Method != "GET" || last.Path != "/psd2/paymentinitiation/v1/payments/"+created.Product+"/"+created.PaymentID || last.Header.Get("X-BicFi") != "DABASESX" {
		t.Fatalf("call %s %s (X-BicFi %q)", last.Method, last.Path, last.Header.Get("X-BicFi"))
	}
	sca, err := c.StartSCA(ctx, order("DABASESX", created, nil), banks.SCARequest{State: "s", RedirectURI: callback})
	if err != nil {
		t.Fatal(err)
	}
	back, err := fake.Decide(sca.AuthorisationID, callback, "s", true)
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(back)
	o := order("DABASESX", created, sca)
	if err := c.FinishRedirect(ctx, o, bu.Query()); err != nil {
		t.Fatal(err)
	}
	payer, err = c.Payer(ctx, o)
	if err != nil || payer == nil {
		t.Fatalf("after SCA: %+v, %v", payer, err)
	}
	if want := openpaymentstest.ShopperAccounts["SE"]; payer.Account.IBAN != want || payer.Account.Country != "SE" || payer.Name != "" {
		t.Fatalf("payer %+v, want %s in SE and no name (the platform reports none)", payer, want)
	}

	created, err = c.CreatePayment(ctx, request("HANDSESS", "SEK"))
	if err != nil {
		t.Fatal(err)
	}
	payer, err = c.Payer(ctx, order("HANDSESS", created, nil))
	if err != nil || payer == nil || payer.Account.BBAN != "54910000003" || payer.Account.IBAN != "" || payer.Account.Country != "SE" {
		t.Fatalf("Handelsbanken payer %+v, %v: want the BBAN sent", payer, err)
	}

	gone := order("HANDSESS", created, nil)
	gone.PaymentID = "no-such-payment"
	gone.Extra = map[string]string{}
	if _, err := c.Payer(ctx, gone); err == nil {
		t.Fatal("an unknown payment's account read without error")
	}
}

// TestPaymentInformationForms reads the account from the documented forms of the answer besides
// the example (TestDocumentExamples): with the optional transactionStatus, and without the
// debtorAccount a bank that lets the shopper choose can only give once they have; a malformed
// account is an error, never recorded.
func TestPaymentInformationForms(t *testing.T) {
	o := banks.Order{BIC: "DABASESX", Product: "domestic", PaymentID: "p1", PSU: psu, Extra: map[string]string{}}
	for _, tt := range []struct {
		name, body, iban string
		fails            bool
	}{
		{"with status", `{"transactionStatus":"ACSC","debtorAccount":{"iban":"SE3550000000054910000003","currency":"SEK"},"instructedAmount":{"currency":"SEK","amount":"1.00"},"creditorName":"Shop","creditorAccount":{"iban":"SE7160000000000123456789"}}`, "SE3550000000054910000003", false},
		{"absent", `{"transactionStatus":"ACSC","instructedAmount":{"currency":"SEK","amount":"1.00"},"creditorName":"Shop","creditorAccount":{"iban":"SE7160000000000123456789"}}`, "", false},
		{"card only", `{"debtorAccount":{"maskedPan":"123456xxxxxx1234"},"instructedAmount":{"currency":"SEK","amount":"1.00"},"creditorName":"Shop","creditorAccount":{"iban":"SE7160000000000123456789"}}`, "", false},
		{"bad iban", `{"debtorAccount":{"iban":"SE0050000000054910000003"},"instructedAmount":{"currency":"SEK","amount":"1.00"},"creditorName":"Shop","creditorAccount":{"iban":"SE7160000000000123456789"}}`, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{answers: map[string]answer{"GET": {status: 200, body: tt.body}}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := op.New(op.Config{ClientID: "cid", ClientSecret: "secret", AuthURL: srv.URL, APIURL: srv.URL, MaxAttempts: 1,
				Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			payer, err := c.Payer(context.Background(), o)
			switch {
			case tt.fails:
				if err == nil || payer != nil {
					t.Fatalf("payer %+v, %v: want an error", payer, err)
				}
			case err != nil:
				t.Fatal(err)
			case tt.iban == "" && payer != nil:
				t.Fatalf("payer %+v, want none", payer)
			case tt.iban != "" && (payer == nil || payer.Account.IBAN != tt.iban):
				t.Fatalf("payer %+v, want %s", payer, tt.iban)
			}
		})
	}
}
