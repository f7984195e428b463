package banks

import (
	"fmt"
	"strings"
)

// Product is one way a bank pays, as the checkout offers it: the currencies it pays in that way,
// where the creditor's account may be, and the form the bank wants that account in.
type Product struct {
	Name       string
	Currencies []string
	// CreditorCountries are the countries the creditor's account may be in; empty: any country
	// whose accounts have an IBAN.
	CreditorCountries []string
	// CreditorFormat is the form the bank wants the creditor's account in: "iban" (or empty),
	// "bban" (the account number of CreditorCountries, read from an IBAN of theirs where the
	// creditor gave none), "bban+clearing" (a Swedish clearing and account number).
	CreditorFormat string
}

// ProductFor returns how a shopper's payment in currency goes at the bank: the first of its
// Products for the currency, or, for a bank that lists none, one product paying any IBAN in the
// currencies it accepts. A currency the bank takes may have none (Accepts is about every kind of
// transfer the bank makes, refunds included).
func (b Bank) ProductFor(currency string) (Product, bool) {
	if len(b.Products) == 0 {
		return Product{Name: "default", CreditorFormat: "iban"}, b.Accepts(currency)
	}
	for _, p := range b.Products {
		for _, c := range p.Currencies {
			if c == currency {
				return p, true
			}
		}
	}
	return Product{}, false
}

// PaysTo reports whether the bank can pay an amount in currency to the creditor's account as
// given: its product for the currency must reach the account's country, and the account must be
// known in the form the bank wants. A bank that would refuse the payment is never offered.
func (b Bank) PaysTo(currency string, creditor Account) bool {
	return b.WhyNotPays(currency, creditor) == ""
}

// WhyNotPays says, for a merchant, why the bank cannot pay an amount in currency to the creditor's
// account as given ("pays SEK only to an account in SE, not in NO"), or "" when it can (PaysTo).
func (b Bank) WhyNotPays(currency string, creditor Account) string {
	p, ok := b.ProductFor(currency)
	if !ok {
		return "it has no payment from a shopper's account in " + currency
	}
	country := creditorCountry(creditor)
	if len(p.CreditorCountries) > 0 && !contains(p.CreditorCountries, country) {
		return fmt.Sprintf("it pays %s only to an account in %s, not in %s", currency, strings.Join(p.CreditorCountries, ", "), orUnknown(country))
	}
	switch p.CreditorFormat {
	case "bban+clearing":
		if creditor.BBAN == "" || creditor.ClearingNumber == "" {
			return fmt.Sprintf("it takes the creditor's account only as a Swedish clearing and account number "+
				"(creditor.clearing_number and creditor.bban), which an account in %s does not give", orUnknown(country))
		}
		return ""
	case "bban":
		// A domestic account number: given as such (Swedish, with its clearing number), or the
		// IBAN of a country whose IBAN holds the whole account number after its check digits.
		if (creditor.BBAN != "" && country == "SE") || (creditor.IBAN != "" && bbanInIBAN[country]) {
			return ""
		}
		return fmt.Sprintf("it takes the creditor's account only as a domestic account number (creditor.bban), "+
			"which an account in %s does not give", orUnknown(country))
	}
	if creditor.IBAN == "" {
		return "it takes the creditor's account only as an IBAN (creditor.iban)"
	}
	return ""
}

// orUnknown is a country code, or words for none.
func orUnknown(country string) string {
	if country == "" {
		return "an unknown country"
	}
	return country
}

// bbanInIBAN lists the countries whose IBAN is the country code, check digits and the domestic
// account number, so the bban is the IBAN from its fifth character (Norway's 11 digits).
var bbanInIBAN = map[string]bool{"NO": true}

// creditorCountry is where the creditor's account is: its IBAN's country, or Sweden for an
// account given as clearing and account number.
func creditorCountry(a Account) string {
	switch {
	case len(a.IBAN) >= 2:
		return a.IBAN[:2]
	case a.ClearingNumber != "":
		return "SE"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
