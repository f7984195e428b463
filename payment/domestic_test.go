package payment

import (
	"errors"
	"fmt"
	"testing"
)

func TestSwedishAccounts(t *testing.T) {
	tests := []struct {
		clearing, account string
		ok                bool
		field             string
	}{
		{"6789", "123456789", true, ""}, // Handelsbanken, 9 digits, mod 11
		{"6789", "123456782", false, "account_number"},
		{"6789", "12345678", false, "account_number"},
		{"5000", "1000001", false, "account_number"},
		{"3300", "8001010019", true, ""}, // Nordea personkonto, Luhn
		{"3300", "8001010016", false, "account_number"},
		{"8327", "9123456789", false, "account_number"},
		{"0000", "1234567", false, "clearing_number"},
		{"12", "1234567", false, "clearing_number"},
		{"abcd", "1234567", false, "clearing_number"},
	}
	for _, tt := range tests {
		a, err := ParseSwedishAccount(tt.clearing, tt.account)
		if tt.ok != (err == nil) {
			t.Errorf("%s-%s: %v", tt.clearing, tt.account, err)
			continue
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != tt.field) {
			t.Errorf("%s-%s: field %v, want %s", tt.clearing, tt.account, err, tt.field)
		}
		if err == nil {
			if ValidateIBAN(a.IBAN) != nil || a.Country != "SE" {
				t.Errorf("%s-%s: derived IBAN %s invalid", tt.clearing, tt.account, a.IBAN)
			}
		}
	}
	// A type 1 account: find one that passes, to show the rule works both ways.
	a, err := ParseSwedishAccount("5000", seb7("5000"))
	if err != nil || a.IBAN[4:7] != "500" {
		t.Fatalf("SEB account: %+v %v", a, err)
	}
}

// seb7 finds a valid 7-digit SEB account number for clearing, by the type 1 comment 1 rule.
func seb7(clearing string) string {
	for n := 1000000; n < 1000100; n++ {
		s := itoa(n)
		if mod11(clearing[1:] + s) {
			return s
		}
	}
	return ""
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestNorwegianAndDanishAccounts(t *testing.T) {
	a, err := ParseNorwegianAccount("8601 11 17947")
	if err != nil || a.IBAN != "NO9386011117947" {
		t.Fatalf("NO: %+v %v", a, err)
	}
	if _, err := ParseNorwegianAccount("86011117948"); err == nil {
		t.Error("NO: bad check digit accepted")
	}
	if _, err := ParseNorwegianAccount("8601111794"); err == nil {
		t.Error("NO: 10 digits accepted")
	}
	d, err := ParseDanishAccount("0040", "0440116243")
	if err != nil || d.IBAN != "DK5000400440116243" {
		t.Fatalf("DK: %+v %v", d, err)
	}
	if _, err := ParseDanishAccount("40", "123"); err == nil {
		t.Error("DK: short registration number accepted")
	}
}

func TestMasked(t *testing.T) {
	if got := (Account{IBAN: "SE7160000000000123456789"}).Masked(); got != "•••• 6789" {
		t.Error(got)
	}
}

// TestSwedishDomesticRoundTrip: the IBAN built from a clearing and account number gives them back,
// for the banks whose IBAN holds them (type 1 accounts, Nordea's personal accounts, Swedbank's
// 8xxx-x), and Handelsbanken's account number without its clearing number; a body no rule reads
// gives nothing, and the bank that wants the domestic number then asks the shopper.
func TestSwedishDomesticRoundTrip(t *testing.T) {
	found := map[string]bool{}
	for _, clearing := range []string{"3000", "1100", "5000", "7000", "3300", "6789", "81058"} {
		for n := 1000000; n < 1002000 && !found[clearing]; n++ {
			acc := fmt.Sprint(n)
			if clearing == "3300" || clearing == "81058" {
				acc = fmt.Sprint(n) + "123"
			} else if clearing == "6789" {
				acc = fmt.Sprint(n) + "12"
			}
			a, err := ParseSwedishAccount(clearing, acc)
			if err != nil {
				continue
			}
			found[clearing] = true
			back, err := ParseIBANAccount(a.IBAN)
			if err != nil {
				t.Fatal(err)
			}
			wantClearing := clearing
			if clearing == "6789" {
				wantClearing = "" // Handelsbanken's IBAN holds no clearing number
			}
			if back.BBAN != a.BBAN || back.ClearingNumber != wantClearing || !back.Fits("bban") {
				t.Errorf("%s %s: IBAN %s gives %q %q, want %q %q", clearing, acc, a.IBAN, back.ClearingNumber, back.BBAN, wantClearing, a.BBAN)
			}
		}
		if !found[clearing] {
			t.Errorf("no valid account found at clearing %s", clearing)
		}
	}
	// A valid IBAN whose body no rule reads: nothing derived.
	if c, b, ok := SwedishDomestic("SE" + ibanCheck("SE", "30012345678901234567") + "30012345678901234567"); ok {
		t.Fatalf("derived %q %q from an unreadable body", c, b)
	}
}
