// Package profiles holds what each bank behind the Open Payments platform insists on, as data
// (profiles.json). It is a package of its own so that both the connector (openpayments) and its
// fake (openpaymentstest) read it, while the connector's sandbox registration imports the fake.
package profiles

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// Profile holds what one bank behind the platform insists on. The rules come from the platform's
// per-bank notes (protocols/openpayments.md, "Bank rules") and live as data in profiles.json: a new
// bank is a new entry, not new code. The connector builds every request from it, and the fake in
// openpaymentstest enforces it.
type Profile struct {
	Name       string   `json:"name"`
	Country    string   `json:"country"`
	Approach   string   `json:"approach"` // the sandbox's SCA approach for the bank
	Currencies []string `json:"currencies"`
	// DebtorAccount is "required" (the payment is refused without the shopper's account),
	// "optional", or "at_bank" (the shopper picks the account during SCA at the bank).
	DebtorAccount string `json:"debtor_account"`
	// DebtorFormat and CreditorFormat name the account shape: "iban", "bban", "bban+clearing".
	DebtorFormat   string         `json:"debtor_format"`
	CreditorFormat string         `json:"creditor_format"`
	Products       []string       `json:"products"`
	MaxRemittance  map[string]int `json:"max_remittance"`
	// MaxRemittanceSameBank replaces the domestic limit when the creditor banks there too (Swedbank).
	MaxRemittanceSameBank int `json:"max_remittance_same_bank"`
	// RequiredHeaders lists the optional headers this bank insists on.
	RequiredHeaders    []string `json:"required_headers"`
	SettleAfterSeconds int      `json:"settle_after_seconds"`
	// CreditorAddressOutside: SEPA payments to a creditor outside this country need creditorAddress (OP).
	CreditorAddressOutside string `json:"creditor_address_outside"`
	// Affiliates are savings banks served under this BIC; calls for their customers carry
	// X-AffiliatedASPSP-ID with the affiliate's id.
	Affiliates []Affiliate `json:"affiliates"`
	// Services are the payment services the bank takes ("payments", "bulk-payments"); a bank
	// that does not say takes the default profile's.
	Services []string `json:"services"`
}

// OffersService reports whether the bank takes a payment service (yaml paymentService).
func (p Profile) OffersService(service string) bool {
	list := p.Services
	if list == nil {
		list = defaultProfile.Services
	}
	for _, s := range list {
		if s == service {
			return true
		}
	}
	return false
}

// Affiliate is a savings bank behind another bank's BIC.
type Affiliate struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// HasAffiliate reports whether id is one of the bank's affiliates.
func (p Profile) HasAffiliate(id string) bool {
	for _, a := range p.Affiliates {
		if a.ID == id {
			return true
		}
	}
	return false
}

//go:embed profiles.json
var profilesJSON []byte

var profiles, defaultProfile = mustLoadProfiles()

func mustLoadProfiles() (map[string]Profile, Profile) {
	var doc struct {
		Default Profile            `json:"default"`
		Banks   map[string]Profile `json:"banks"`
	}
	if err := json.Unmarshal(profilesJSON, &doc); err != nil {
		panic(fmt.Sprintf("openpayments/profiles: profiles.json: %v", err))
	}
	return doc.Banks, doc.Default
}

// For returns the profile of a bank; banks not listed get the platform's defaults.
func For(bic string) Profile {
	if p, ok := profiles[bic]; ok {
		return p
	}
	return defaultProfile
}

// All returns every bank's profile by BIC.
func All() map[string]Profile {
	out := make(map[string]Profile, len(profiles))
	for k, v := range profiles {
		out[k] = v
	}
	return out
}

// Requires reports whether the bank insists on a header.
func (p Profile) Requires(header string) bool {
	for _, h := range p.RequiredHeaders {
		if h == header {
			return true
		}
	}
	return false
}

// RemittanceLimit is the longest reference the bank takes for a product; sameBank is set when
// the creditor's account is at this bank too.
func (p Profile) RemittanceLimit(product string, sameBank bool) int {
	if sameBank && product == "domestic" && p.MaxRemittanceSameBank > 0 {
		return p.MaxRemittanceSameBank
	}
	if n, ok := p.MaxRemittance[product]; ok {
		return n
	}
	return 140
}

// Offers reports whether the bank takes a payment product.
func (p Profile) Offers(product string) bool {
	for _, x := range p.Products {
		if x == product {
			return true
		}
	}
	return false
}
