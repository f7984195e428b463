package paysera

import (
	"encoding/json"
	"os"
	"testing"

	"paybybank/banks"
)

// The seed's only response example (testdata/accounts_list.json, see its README) writes _links
// values as plain strings relative to the API base: read through the type the creation's answer
// uses and resolved as the connector follows links, they land under …/xs2a/berlin/1.3.
func TestSeedLinkStyle(t *testing.T) {
	raw, err := os.ReadFile("testdata/accounts_list.json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Accounts []struct {
			ResourceID string `json:"resourceId"`
			IBAN       string `json:"iban"`
			paymentCreated
		} `json:"accounts"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 1 || list.Accounts[0].ResourceID != "acc_123" || list.Accounts[0].IBAN != "LT123456789012345678" {
		t.Fatalf("accounts %+v", list.Accounts)
	}
	c := New(Config{APIURL: "https://open-banking-api.paysera.com/xs2a/berlin/1.3"})
	links := list.Accounts[0].Links
	for name, want := range map[string]string{
		"balances":     "https://open-banking-api.paysera.com/xs2a/berlin/1.3/v1/accounts/acc_123/balances",
		"transactions": "https://open-banking-api.paysera.com/xs2a/berlin/1.3/v1/accounts/acc_123/transactions",
	} {
		got, err := c.follow(banks.Order{Extra: map[string]string{"link": links.Href(name)}}, "link", "/unused")
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", name, got, err, want)
		}
	}
}
