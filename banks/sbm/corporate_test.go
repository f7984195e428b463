package sbm_test

import (
	"context"
	"testing"

	"paybybank/banks"
	"paybybank/banks/sbm/sbmtest"
)

// TestCorporatePayment: a payment made for a company goes with PSU-Context: CORPORATE and its
// corporate agreement (PSU-Corporate-ID, signed) on every call; the fake refuses an authorisation
// started in another context than the payment's, so the order must remember it.
func TestCorporatePayment(t *testing.T) {
	c, b := setup(t, sbmtest.Forms{}, certificates[1].make)
	ctx := context.Background()
	req := request("NOK")
	req.CreditorName, req.Corporate = "Kari Nordmann", &banks.Corporate{Name: "Butikk AS", ID: "AGR-4471"}
	created, err := c.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartSCA(ctx, order(created), banks.SCARequest{State: "s1", RedirectURI: "https://pay.example/callback"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx, order(created)); err != nil {
		t.Fatal(err)
	}
	for _, r := range b.requests() {
		if r.Header.Get("PSU-Context") != "CORPORATE" || r.Header.Get("PSU-Corporate-ID") != "AGR-4471" {
			t.Errorf("%s %s: PSU-Context %q, PSU-Corporate-ID %q", r.Method, r.URL.Path, r.Header.Get("PSU-Context"), r.Header.Get("PSU-Corporate-ID"))
		}
	}
	// An order that forgot its context is refused at the bank.
	lost := order(created)
	lost.Extra = map[string]string{}
	if _, err := c.StartSCA(ctx, lost, banks.SCARequest{State: "s2", RedirectURI: "https://pay.example/callback"}); err == nil {
		t.Fatal("an authorisation in the private context was started for a company's payment")
	}
}
