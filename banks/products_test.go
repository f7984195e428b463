package banks

import "testing"

func TestPaysTo(t *testing.T) {
	savings := Bank{Name: "Savings bank", Country: "NO", Currencies: []string{"NOK", "EUR", "SEK"}, Products: []Product{
		{Name: "norwegian-domestic-credit-transfers", Currencies: []string{"NOK"}, CreditorCountries: []string{"NO"}, CreditorFormat: "bban"},
		{Name: "sepa-credit-transfers", Currencies: []string{"EUR"}, CreditorFormat: "iban"},
	}}
	handels := Bank{Name: "Handelsbanken", Country: "SE", Currencies: []string{"SEK", "EUR"}, Products: []Product{
		{Name: "domestic", Currencies: []string{"SEK"}, CreditorCountries: []string{"SE"}, CreditorFormat: "bban+clearing"},
		{Name: "sepa-credit-transfers", Currencies: []string{"EUR"}, CreditorFormat: "bban+clearing"},
	}}
	plain := Bank{Name: "Plain", Currencies: []string{"EUR"}}
	seIBAN := Account{IBAN: "SE7160000000000123456789"}
	seFull := Account{IBAN: "SE7160000000000123456789", BBAN: "123456789", ClearingNumber: "6789"}
	seBBAN := Account{BBAN: "123456789", ClearingNumber: "6789"}
	noIBAN := Account{IBAN: "NO9386011117947"}
	fiIBAN := Account{IBAN: "FI2112345600000785"}
	tests := []struct {
		name     string
		bank     Bank
		currency string
		creditor Account
		want     bool
	}{
		{"a Norwegian savings bank cannot pay SEK to a Swedish IBAN", savings, "SEK", seIBAN, false},
		{"nor NOK to a Swedish account", savings, "NOK", seFull, false},
		{"it pays NOK to a Norwegian IBAN, as its bban", savings, "NOK", noIBAN, true},
		{"and EUR to any IBAN", savings, "EUR", fiIBAN, true},
		{"but not EUR to an account without IBAN", savings, "EUR", seBBAN, false},
		{"Handelsbanken pays SEK to clearing and account number", handels, "SEK", seBBAN, true},
		{"not to a bare Swedish IBAN", handels, "SEK", seIBAN, false},
		{"nor SEPA to a Finnish IBAN, which has no clearing number", handels, "EUR", fiIBAN, false},
		{"a bank without products pays its currencies to an IBAN", plain, "EUR", fiIBAN, true},
		{"not to an account without IBAN", plain, "EUR", seBBAN, false},
		{"nor in another currency", plain, "SEK", seIBAN, false},
	}
	for _, tt := range tests {
		if got := tt.bank.PaysTo(tt.currency, tt.creditor); got != tt.want {
			t.Errorf("%s: PaysTo(%s, %+v) = %v", tt.name, tt.currency, tt.creditor, got)
		}
	}
}
