package sibs_test

import (
	"context"
	"encoding/json"
	"testing"

	"paybybank/banks"
	"paybybank/banks/sibs"
	"paybybank/banks/sibs/sibstest"
)

// TestPayer reads the account a payment came from on the payment resource, in every form of the
// fake: a TSU payment's debtorAccount (required in the seed's "content of a payment initiation
// object") and, where the answer has it, debtorName; a credit transfer's the one sent, or, when
// none was, the one the bank filled in (the fake's optional fields) or none at all.
func TestPayer(t *testing.T) {
	const given = "PT62003506510000123456789" // not the fake's PSUAccount: the one sent comes back
	for _, form := range sibstest.AllForms() {
		t.Run(form.Name, func(t *testing.T) {
			r := setup(t, "client-1", true, form.Forms)
			ctx := context.Background()
			wantName := ""
			if form.Forms.OptionalFields {
				wantName = "Empresa Exemplo, Lda"
			}

			o, _ := r.start(t, "BTSTPTPL") // no debtor sent
			payer, err := r.c.Payer(ctx, o)
			switch {
			case err != nil:
				t.Fatal(err)
			case form.Forms.OptionalFields && (payer == nil || payer.Account.IBAN != sibstest.PSUAccount || payer.Account.Country != "PT" || payer.Name != wantName):
				t.Fatalf("credit transfer, account filled in by the bank: %+v", payer)
			case !form.Forms.OptionalFields && payer != nil:
				t.Fatalf("credit transfer, no debtorAccount in the answer: %+v", payer)
			}

			req := request("BTSTPTPL")
			req.Debtor = &banks.Account{IBAN: given}
			req.TSU = &banks.TSU{SocialSecurityAccountCode: "SSMN", TaxpayerID: "501234567", ReferencePeriod: "202611"}
			created, err := r.c.CreatePayment(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			payer, err = r.c.Payer(ctx, banks.Order{BIC: "BTSTPTPL", Product: created.Product, PaymentID: created.PaymentID, PSU: req.PSU, Extra: created.Extra})
			if err != nil || payer == nil || payer.Account.IBAN != given || payer.Name != wantName {
				t.Fatalf("TSU payer %+v, %v", payer, err)
			}

			gone := o
			gone.PaymentID, gone.Extra = "no-such-payment", map[string]string{"aspsp": o.Extra["aspsp"]}
			if _, err := r.c.Payer(ctx, gone); err == nil {
				t.Fatal("an unknown payment's account read without error")
			}
		})
	}
}

// TestPaymentContentSchema decodes a body built from the seed's schema of "Returns the content of
// a payment initiation object" (the documents hold no example body: testdata/README.md) through
// the connector's wire type, with a BBAN instead of an IBAN ("used for payment accounts which
// have no IBAN").
func TestPaymentContentSchema(t *testing.T) {
	for name, tt := range map[string]struct{ body, iban, bban string }{
		"iban": {`{"transactionStatus":"ACSC","paymentId":"p1","debtorName":"Empresa Exemplo, Lda","debtorAccount":{"iban":"PT50000201231234567890154"},"instructedAmount":{"currency":"EUR","amount":"10.00"},"socialSecurityAccountCode":"SSMN"}`, "PT50000201231234567890154", ""},
		"bban": {`{"transactionStatus":"ACSC","paymentId":"p1","debtorAccount":{"bban":"000201231234567890154"},"instructedAmount":{"currency":"EUR","amount":"10.00"},"socialSecurityAccountCode":"SSMN"}`, "", "000201231234567890154"},
	} {
		var c sibs.PaymentContent
		if err := json.Unmarshal([]byte(tt.body), &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		payer, err := banks.ReportedPayer(c.DebtorAccount.IBAN, c.DebtorAccount.BBAN, "", "PT", c.DebtorName)
		if err != nil || payer.Account.IBAN != tt.iban || payer.Account.BBAN != tt.bban && tt.bban != "" || payer.Account.Country != "PT" {
			t.Errorf("%s: %+v, %v", name, payer, err)
		}
	}
}
