package powens_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"paybybank/banks"
	"paybybank/banks/powens"
	"paybybank/banks/powens/powenstest"
)

func refunds(corporate *banks.Corporate) banks.BulkRequest {
	return banks.BulkRequest{BIC: "POWENSFR", Affiliate: instant, Currency: "EUR", State: "st", RedirectURI: callback, Corporate: corporate,
		Debtor: banks.Account{IBAN: "FR1420041010050500013M02606"},
		Payments: []banks.BulkPayment{
			{AmountMinor: 1250, Amount: "12.50", CreditorName: "Jean Dupont", Reference: "Refund 1", Creditor: banks.Account{IBAN: "FR7630006000011234567890189"}},
			{AmountMinor: 990, Amount: "9.90", CreditorName: "Marie Claire Martin", Reference: "Refund 2", Creditor: banks.Account{IBAN: "FR7610107001011234567890129"}},
		}}
}

var shop = &banks.Corporate{Name: "ACME Corp.", Identity: &banks.Identity{Scheme: "siren", ID: "552100554", LegalStatus: "SAS"}}

// TestBulkRefunds: two refunds from a company are one Powens payment of two instructions, the
// company its corporate payer_identity and each payee an individual beneficiary; validated once in
// the webview, it is done.
func TestBulkRefunds(t *testing.T) {
	e := setup(t, powenstest.Forms{})
	created, err := e.c.CreateBulkPayment(context.Background(), refunds(shop))
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Payer        map[string]string `json:"payer_identity"`
		Instructions []struct {
			Amount   json.Number       `json:"amount"`
			Identity map[string]string `json:"beneficiary_identity"`
		} `json:"instructions"`
	}
	e.mu.Lock()
	err = json.Unmarshal(e.bodies["POST /payments"], &sent)
	e.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if sent.Payer["kind"] != "corporate" || sent.Payer["org_name"] != "ACME Corp." || len(sent.Instructions) != 2 ||
		sent.Instructions[1].Amount != "9.90" || sent.Instructions[1].Identity["kind"] != "individual" ||
		sent.Instructions[1].Identity["first_name"] != "Marie Claire" || sent.Instructions[1].Identity["last_name"] != "Martin" {
		t.Fatalf("sent %+v", sent)
	}
	back := webview(t, created.RedirectURL, instant, "validate")
	if err := e.c.FinishRedirect(context.Background(), banks.Order{PaymentID: created.PaymentID}, back); err != nil {
		t.Fatal(err)
	}
	if st := settle(t, e.c, created.PaymentID); st != "ACSC" {
		t.Fatalf("status %s", st)
	}
}

// TestBulkRefused: without the company's registration, or a payee's first and last names, nothing
// is sent; a single payment made for a company is the same corporate payer.
func TestBulkRefused(t *testing.T) {
	e := setup(t, powenstest.Forms{})
	if _, err := e.c.CreateBulkPayment(context.Background(), refunds(&banks.Corporate{Name: "ACME Corp."})); !errors.Is(err, powens.ErrNoPayerIdentity) {
		t.Fatalf("no identity: %v", err)
	}
	oneWord := refunds(shop)
	oneWord.Payments[0].CreditorName = "Cher"
	var be *banks.Error
	if _, err := e.c.CreateBulkPayment(context.Background(), oneWord); !errors.As(err, &be) || be.Code != "beneficiary_name_incomplete" {
		t.Fatalf("one-word name: %v", err)
	}
	if len(e.fake.Calls()) != 0 {
		t.Fatalf("refused requests reached Powens: %v", e.fake.Calls())
	}
	req := request("Refund 3", instant)
	req.CreditorName, req.CreditorIdentity, req.Corporate = "Jean Dupont", nil, shop
	if _, err := e.c.CreatePayment(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}
