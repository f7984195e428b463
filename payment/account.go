package payment

import (
	"fmt"
	"regexp"
	"strings"
)

var bicPattern = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)

// ValidBIC reports whether s is a well-formed BIC (ISO 9362), the pattern banks check in X-BicFi.
func ValidBIC(s string) bool { return bicPattern.MatchString(s) }

// ibanLengths holds the IBAN length of the countries we pay to; a country not listed is refused.
var ibanLengths = map[string]int{
	"SE": 24, "NO": 15, "DK": 18, "FI": 18, "FR": 27, "LT": 20, "PT": 25, "DE": 22,
	"EE": 20, "LV": 21, "PL": 28, "NL": 18, "BE": 16, "ES": 24, "IT": 27, "AT": 20,
	"IE": 22, "GB": 22, "IS": 26, "LU": 20, "CH": 21,
}

// NormalizeIBAN removes spaces and upper-cases an IBAN, as shoppers and merchants type them.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// ValidateIBAN checks the country length and the ISO 13616 mod-97 checksum of a normalised IBAN.
func ValidateIBAN(iban string) error {
	if len(iban) < 5 {
		return fmt.Errorf("IBAN %q is too short", iban)
	}
	want, ok := ibanLengths[iban[:2]]
	if !ok {
		return fmt.Errorf("IBAN country %q is not supported", iban[:2])
	}
	if len(iban) != want {
		return fmt.Errorf("IBAN for %s must have %d characters, not %d", iban[:2], want, len(iban))
	}
	if iban[2] < '0' || iban[2] > '9' || iban[3] < '0' || iban[3] > '9' {
		return fmt.Errorf("IBAN check digits must be digits")
	}
	rearranged := iban[4:] + iban[:4]
	rem := 0
	for _, c := range rearranged {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return fmt.Errorf("IBAN has an invalid character %q", c)
		}
	}
	if rem != 1 {
		return fmt.Errorf("IBAN checksum is wrong")
	}
	return nil
}

// Creditor is the account that receives a payment.
type Creditor struct {
	Name           string   `json:"name"`
	IBAN           string   `json:"iban,omitempty"`
	BBAN           string   `json:"bban,omitempty"`
	ClearingNumber string   `json:"clearing_number,omitempty"`
	BIC            string   `json:"bic,omitempty"`
	Address        *Address `json:"address,omitempty"`
}

// Address is a postal address; some banks want the creditor's for SEPA payments abroad.
type Address struct {
	Street   string `json:"street,omitempty"`
	PostCode string `json:"post_code,omitempty"`
	Town     string `json:"town"`
	Country  string `json:"country"`
}

// Country is the creditor's country as its IBAN tells it, or "" without an IBAN.
func (c *Creditor) Country() string {
	if len(c.IBAN) >= 2 {
		return c.IBAN[:2]
	}
	return ""
}

// Validate checks that the creditor has a name and a well-formed account.
// It returns a *FieldError naming the offending field.
func (c *Creditor) Validate(prefix string) error {
	c.Name = strings.TrimSpace(c.Name)
	c.IBAN = NormalizeIBAN(c.IBAN)
	if c.Name == "" || len(c.Name) > 70 {
		return &FieldError{Field: prefix + "name", Message: "must be 1 to 70 characters"}
	}
	if c.IBAN == "" && c.BBAN == "" {
		return &FieldError{Field: prefix + "iban", Message: "an iban, or a bban with clearing_number, is required"}
	}
	if c.IBAN != "" {
		if err := ValidateIBAN(c.IBAN); err != nil {
			return &FieldError{Field: prefix + "iban", Message: err.Error()}
		}
	}
	if c.BBAN != "" {
		if !allDigits(c.BBAN) || len(c.BBAN) < 6 || len(c.BBAN) > 17 {
			return &FieldError{Field: prefix + "bban", Message: "must be 6 to 17 digits"}
		}
		if !allDigits(c.ClearingNumber) || len(c.ClearingNumber) < 4 || len(c.ClearingNumber) > 5 {
			return &FieldError{Field: prefix + "clearing_number", Message: "must be 4 or 5 digits with a bban"}
		}
	}
	if c.BIC != "" && !ValidBIC(c.BIC) {
		return &FieldError{Field: prefix + "bic", Message: "is not a valid BIC"}
	}
	if a := c.Address; a != nil {
		if strings.TrimSpace(a.Town) == "" || len(a.Town) > 35 {
			return &FieldError{Field: prefix + "address.town", Message: "must be 1 to 35 characters"}
		}
		if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country {
			return &FieldError{Field: prefix + "address.country", Message: "must be an ISO 3166 alpha-2 code such as SE"}
		}
		if len(a.Street) > 70 || len(a.PostCode) > 16 {
			return &FieldError{Field: prefix + "address", Message: "street at most 70 and post code at most 16 characters"}
		}
	}
	return nil
}
