package payment

import (
	"fmt"
	"strings"
)

// Account is a shopper's (debtor's) account, with every form we could derive: banks want the
// IBAN, or the domestic BBAN with or without the clearing number.
type Account struct {
	IBAN           string `json:"iban,omitempty"`
	BBAN           string `json:"bban,omitempty"`
	ClearingNumber string `json:"clearing_number,omitempty"`
	Country        string `json:"country,omitempty"`
}

// Masked shows an account the way a shopper recognises it without exposing it: "•••• 6789".
func (a Account) Masked() string {
	n := a.IBAN
	if a.BBAN != "" {
		n = a.BBAN
	}
	if len(n) > 4 {
		n = n[len(n)-4:]
	}
	return "•••• " + n
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '.' || r == ',' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// ParseIBANAccount validates a typed IBAN and, for countries whose IBAN embeds the domestic
// number simply, fills in the BBAN too.
func ParseIBANAccount(raw string) (Account, error) {
	iban := NormalizeIBAN(raw)
	if err := ValidateIBAN(iban); err != nil {
		return Account{}, &FieldError{Field: "iban", Message: err.Error(), Code: "iban"}
	}
	a := Account{IBAN: iban, Country: iban[:2]}
	switch iban[:2] {
	case "NO":
		a.BBAN = iban[4:]
	case "SE":
		// Banks that want the domestic number get it where the IBAN can be taken apart by the
		// banks' rules; where it cannot, the shopper is asked for it.
		a.ClearingNumber, a.BBAN, _ = SwedishDomestic(iban)
	}
	return a, nil
}

// SwedishDomestic takes a valid Swedish IBAN apart into the clearing number and the domestic
// account number (Bankgirot, "Bankernas kontonummeruppbyggnad", and ParseSwedishAccount's way of
// building the IBAN, read backwards): type 1 accounts carry their clearing number in the IBAN;
// Handelsbanken's (type 2) do not, and give the account number alone (clearing ""); Nordea's
// personal accounts are clearing 3300; Swedbank's 8xxx-x accounts carry their 5-digit clearing
// number. ok is false when the account matches none of these with its check digits.
func SwedishDomestic(iban string) (clearing, account string, ok bool) {
	if len(iban) != 24 || iban[:2] != "SE" || !allDigits(iban[4:]) {
		return "", "", false
	}
	code, body := iban[4:7], iban[7:]
	zeros := func(s string) bool { return strings.Trim(s, "0") == "" }
	if zeros(body[:6]) {
		c, acc := body[6:10], body[10:]
		if r, found := swedishRule(c); found && r.code == code && r.typ == 1 && mod11(c[1:]+acc) {
			return c, acc, true
		}
	}
	switch {
	case code == "600" && zeros(body[:8]) && mod11(body[8:]):
		return "", body[8:], true
	case code == "300" && zeros(body[:7]) && luhn(body[7:]):
		return "3300", body[7:], true
	case code == "800" && zeros(body[:2]) && body[2] == '8' && luhn(body[7:]):
		return body[2:7], body[7:], true
	}
	return "", "", false
}

// Fits reports whether the account has the form a bank wants: "iban" (or ""), "bban" (the
// domestic number without clearing number) or "bban+clearing".
func (a Account) Fits(format string) bool {
	switch format {
	case "bban":
		return a.BBAN != ""
	case "bban+clearing":
		return a.BBAN != "" && a.ClearingNumber != ""
	}
	return a.IBAN != ""
}

// FormatName says in words the account form a bank wants (see Fits), for a merchant's error.
func FormatName(format string) string {
	switch format {
	case "bban":
		return "the domestic account number without clearing number (bban)"
	case "bban+clearing":
		return "the domestic account number (bban) with its clearing number"
	}
	return "an IBAN"
}

// ParseSwedishAccount validates a clearing number and account number with the bank's checksum
// rules (Bankgirot's types 1 and 2) and derives the IBAN.
func ParseSwedishAccount(clearing, account string) (Account, error) {
	clearing, account = digitsOnly(clearing), digitsOnly(account)
	if !allDigits(clearing) || (len(clearing) != 4 && len(clearing) != 5) {
		return Account{}, &FieldError{Field: "clearing_number", Message: "must be 4 digits (5 for some Swedbank accounts)", Code: "se.clearing"}
	}
	if !allDigits(account) || account == "" {
		return Account{}, &FieldError{Field: "account_number", Message: "must be digits", Code: "digits"}
	}
	r, ok := swedishRule(clearing)
	if !ok {
		return Account{}, &FieldError{Field: "clearing_number", Message: "is not a Swedish bank's clearing number we know", Code: "se.clearing.unknown"}
	}
	var control string
	switch {
	case r.typ == 1:
		if len(account) != 7 {
			return Account{}, &FieldError{Field: "account_number", Message: fmt.Sprintf("must be 7 digits at %s", r.bank),
				Code: "se.account.exact", Args: map[string]string{"bank": r.bank, "digits": "7"}}
		}
		if r.comment == 1 {
			control = clearing[1:] + account
		} else {
			control = clearing + account
		}
		if !mod11(control) {
			return Account{}, &FieldError{Field: "account_number", Message: "the check digit does not match: check the number", Code: "check"}
		}
	case r.typ == 2 && r.comment == 2: // Handelsbanken: 9 digits, modulus 11
		if len(account) != 9 {
			return Account{}, &FieldError{Field: "account_number", Message: "must be 9 digits at Handelsbanken",
				Code: "se.account.exact", Args: map[string]string{"bank": r.bank, "digits": "9"}}
		}
		if !mod11(account) {
			return Account{}, &FieldError{Field: "account_number", Message: "the check digit does not match: check the number", Code: "check"}
		}
	default: // type 2, comments 1 and 3: up to 10 digits, modulus 10
		if len(account) > 10 || len(account) < 6 {
			return Account{}, &FieldError{Field: "account_number", Message: fmt.Sprintf("must be 6 to 10 digits at %s", r.bank),
				Code: "se.account.range", Args: map[string]string{"bank": r.bank, "min": "6", "max": "10"}}
		}
		account = strings.Repeat("0", 10-len(account)) + account
		if !luhn(account) {
			return Account{}, &FieldError{Field: "account_number", Message: "the check digit does not match: check the number", Code: "check"}
		}
	}
	// The IBAN carries the bank's code and 17 digits: type 1 accounts with their clearing
	// number, type 2 without (but Swedbank's 8xxx-x accounts with theirs).
	body := account
	if r.typ == 1 || strings.HasPrefix(clearing, "8") {
		body = clearing + account
	}
	bban := r.code + strings.Repeat("0", max(0, 17-len(body))) + body
	iban := "SE" + ibanCheck("SE", bban) + bban
	return Account{IBAN: iban, BBAN: account, ClearingNumber: clearing, Country: "SE"}, nil
}

type seRule struct {
	from, to     int
	bank, code   string
	typ, comment int
}

// swedishRules covers the clearing ranges of the banks we serve (Bankgirot, "Bankernas
// kontonummeruppbyggnad"); a new bank is a new row.
var swedishRules = []seRule{
	{1100, 1199, "Nordea", "300", 1, 1},
	{1200, 1399, "Danske Bank", "120", 1, 1},
	{1400, 2099, "Nordea", "300", 1, 1},
	{2400, 2499, "Danske Bank", "120", 1, 1},
	{3000, 3299, "Nordea", "300", 1, 1},
	{3300, 3300, "Nordea personkonto", "300", 2, 1},
	{3301, 3399, "Nordea", "300", 1, 1},
	{3410, 3781, "Nordea", "300", 1, 1},
	{3783, 3999, "Nordea", "300", 1, 1},
	{5000, 5999, "SEB", "500", 1, 1},
	{6000, 6999, "Handelsbanken", "600", 2, 2},
	{7000, 7999, "Swedbank", "800", 1, 1},
	{8000, 8999, "Swedbank", "800", 2, 3},
	{9120, 9124, "SEB", "500", 1, 1},
	{9130, 9149, "SEB", "500", 1, 1},
}

func swedishRule(clearing string) (seRule, bool) {
	n := 0
	for _, c := range clearing[:4] {
		n = n*10 + int(c-'0')
	}
	if len(clearing) == 5 && clearing[0] != '8' {
		return seRule{}, false
	}
	for _, r := range swedishRules {
		if n >= r.from && n <= r.to {
			return r, true
		}
	}
	return seRule{}, false
}

// mod11 checks a number whose digits, weighted 1, 2, …, 10, 1, … from the right, sum to a
// multiple of 11.
func mod11(s string) bool {
	sum, w := 0, 1
	for i := len(s) - 1; i >= 0; i-- {
		sum += int(s[i]-'0') * w
		if w++; w > 10 {
			w = 1
		}
	}
	return sum > 0 && sum%11 == 0
}

// luhn checks a number with the Luhn (modulus 10) check digit.
func luhn(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum > 0 && sum%10 == 0
}

// ibanCheck computes an IBAN's two check digits for a country and BBAN.
func ibanCheck(country, bban string) string {
	rem := 0
	for _, c := range bban + country + "00" {
		if c >= 'A' && c <= 'Z' {
			rem = (rem*100 + int(c-'A') + 10) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%02d", 98-rem)
}

// ParseNorwegianAccount validates an 11-digit Norwegian account number (modulus 11) and derives the IBAN.
func ParseNorwegianAccount(account string) (Account, error) {
	account = digitsOnly(account)
	if len(account) != 11 || !allDigits(account) {
		return Account{}, &FieldError{Field: "account_number", Message: "must be 11 digits, e.g. 8601 11 17947", Code: "no.account"}
	}
	weights := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(account[i]-'0') * w
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 || check != int(account[10]-'0') {
		return Account{}, &FieldError{Field: "account_number", Message: "the check digit does not match: check the number", Code: "check"}
	}
	return Account{IBAN: "NO" + ibanCheck("NO", account) + account, BBAN: account, Country: "NO"}, nil
}

// ParseDanishAccount validates a Danish registration number (4 digits) and account number (up to
// 10 digits) and derives the IBAN. Danish banks use no common check digit.
func ParseDanishAccount(reg, account string) (Account, error) {
	reg, account = digitsOnly(reg), digitsOnly(account)
	if len(reg) != 4 || !allDigits(reg) {
		return Account{}, &FieldError{Field: "registration_number", Message: "must be 4 digits", Code: "dk.reg"}
	}
	if len(account) == 0 || len(account) > 10 || !allDigits(account) {
		return Account{}, &FieldError{Field: "account_number", Message: "must be up to 10 digits", Code: "dk.account"}
	}
	bban := reg + strings.Repeat("0", 10-len(account)) + account
	return Account{IBAN: "DK" + ibanCheck("DK", bban) + bban, BBAN: bban, ClearingNumber: reg, Country: "DK"}, nil
}

// DebtorInput is a shopper's account as typed or sent by the merchant: an IBAN, or a country's
// domestic form (Sweden: clearing and account number; Norway: 11 digits; Denmark: registration
// and account number).
type DebtorInput struct {
	IBAN               string `json:"iban,omitempty"`
	Country            string `json:"country,omitempty"`
	ClearingNumber     string `json:"clearing_number,omitempty"`
	RegistrationNumber string `json:"registration_number,omitempty"`
	AccountNumber      string `json:"account_number,omitempty"`
}

// Parse validates the input field by field and returns the account in every form we can derive.
func (in DebtorInput) Parse() (Account, error) {
	if strings.TrimSpace(in.IBAN) != "" {
		return ParseIBANAccount(in.IBAN)
	}
	switch strings.ToUpper(in.Country) {
	case "SE":
		return ParseSwedishAccount(in.ClearingNumber, in.AccountNumber)
	case "NO":
		return ParseNorwegianAccount(in.AccountNumber)
	case "DK":
		return ParseDanishAccount(in.RegistrationNumber, in.AccountNumber)
	}
	return Account{}, &FieldError{Field: "iban", Message: "is required", Code: "required"}
}
