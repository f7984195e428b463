package payment

import (
	"cmp"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := &Merchant{ID: "m_1", AllowedOrigins: []string{"https://shop.example"},
		Creditor: Creditor{Name: "Shop AB", IBAN: "SE7160000000000123456789"}}
	ok := Request{Amount: "249.00", Currency: "SEK", Reference: "Order 1"}
	with := func(change func(*Request)) Request {
		r := ok
		change(&r)
		return r
	}
	metadata := func(n, keyLen, valueLen int) map[string]string {
		md := map[string]string{}
		for i := range n {
			md[strings.Repeat("k", keyLen-1)+string(rune('a'+i))] = strings.Repeat("v", valueLen)
		}
		return md
	}
	tsu := &TSU{SocialSecurityAccountCode: "SSMN", TaxpayerID: "500000000", ReferencePeriod: "202602"}
	for _, tc := range []struct {
		name  string
		in    Request
		field string // "" when the payment is valid
	}{
		{"OK", ok, ""},
		{"unknown currency", with(func(r *Request) { r.Currency = "XXX" }), "currency"},
		{"bad amount", with(func(r *Request) { r.Amount = "1,00" }), "amount"},
		{"zero amount", with(func(r *Request) { r.Amount = "0.00" }), "amount"},
		{"empty reference", with(func(r *Request) { r.Reference = "" }), "reference"},
		{"longest reference", with(func(r *Request) { r.Reference = strings.Repeat("å", MaxReferenceLength) }), ""},
		{"reference too long", with(func(r *Request) { r.Reference = strings.Repeat("a", MaxReferenceLength+1) }), "reference"},
		{"blank reference", with(func(r *Request) { r.Reference = "   " }), "reference"},
		{"control character in reference", with(func(r *Request) { r.Reference = "Order\n1" }), "reference"},
		{"creditor given", with(func(r *Request) { r.Creditor = &Creditor{Name: " Other AB ", IBAN: "se71 6000 0000 0001 2345 6789"} }), ""},
		{"creditor without name", with(func(r *Request) { r.Creditor = &Creditor{IBAN: "SE7160000000000123456789"} }), "creditor.name"},
		{"return URL elsewhere", with(func(r *Request) { r.ReturnURL = "https://evil.example/back" }), "return_url"},
		{"return URL allowed", with(func(r *Request) { r.ReturnURL = "https://shop.example/back" }), ""},
		{"bad BIC", with(func(r *Request) { r.Bank = "NOTABIC" }), "bank"},
		{"lower-case country", with(func(r *Request) { r.Country = "se" }), "country"},
		{"long locale", with(func(r *Request) { r.Locale = strings.Repeat("a", MaxLocaleLength+1) }), "locale"},
		{"TSU", with(func(r *Request) {
			r.Currency, r.Amount, r.TSU, r.Debtor = "EUR", "10.00", tsu, &Account{IBAN: "PT50000201231234567890154"}
		}), ""},
		{"TSU from a Swedish account", with(func(r *Request) {
			r.Currency, r.Amount, r.TSU, r.Debtor = "EUR", "10.00", tsu, &Account{IBAN: "SE3550000000054910000003"}
		}), "debtor"},
		{"TSU without debtor", with(func(r *Request) { r.Currency, r.Amount, r.TSU = "EUR", "10.00", tsu }), "debtor"},
		{"bad TSU", with(func(r *Request) { r.TSU = &TSU{SocialSecurityAccountCode: "XX"} }), "tsu.social_security_account_code"},
		{"shortest expiry", with(func(r *Request) { r.ExpiresIn = MinExpiresIn }), ""},
		{"expiry too short", with(func(r *Request) { r.ExpiresIn = MinExpiresIn - 1 }), "expires_in"},
		{"longest expiry", with(func(r *Request) { r.ExpiresIn = MaxExpiresIn }), ""},
		{"expiry too long", with(func(r *Request) { r.ExpiresIn = MaxExpiresIn + 1 }), "expires_in"},
		{"most metadata", with(func(r *Request) { r.Metadata = metadata(MaxMetadataKeys, MaxMetadataKeyLength, MaxMetadataValueLength) }), ""},
		{"too many metadata keys", with(func(r *Request) { r.Metadata = metadata(MaxMetadataKeys+1, 1, 1) }), "metadata"},
		{"metadata key too long", with(func(r *Request) { r.Metadata = metadata(1, MaxMetadataKeyLength+1, 1) }), "metadata"},
		{"metadata value too long", with(func(r *Request) { r.Metadata = metadata(1, 1, MaxMetadataValueLength+1) }), "metadata"},
		{"empty metadata key", with(func(r *Request) { r.Metadata = map[string]string{"": "v"} }), "metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(m, tc.in, now)
			if tc.field != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tc.field {
					t.Fatalf("error %v, want one on %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			expiresIn := time.Duration(cmp.Or(tc.in.ExpiresIn, DefaultExpiresIn)) * time.Second
			if p.MerchantID != m.ID || p.Reference != tc.in.Reference || !p.ExpiresAt.Equal(now.Add(expiresIn)) {
				t.Fatalf("payment %+v", p)
			}
			if tc.in.Creditor != nil && (p.Creditor.Name != "Other AB" || p.Creditor.IBAN != "SE7160000000000123456789") {
				t.Fatalf("the creditor given was stored untidied: %+v", p.Creditor)
			}
		})
	}
}
