package payment

import (
	"reflect"
	"testing"
)

func TestCloneIsDeep(t *testing.T) {
	p := &Payment{ID: "pay_1", Creditor: Creditor{Name: "Shop", Address: &Address{Town: "Umeå", Country: "SE"}},
		Debtor: &Account{BBAN: "123"}, TSU: &TSU{TaxpayerID: "1"}, Metadata: map[string]string{"order": "1"}}
	c := p.Clone()
	if !reflect.DeepEqual(c, p) {
		t.Fatalf("clone differs: %+v", c)
	}
	c.Creditor.Address.Town, c.Debtor.BBAN, c.TSU.TaxpayerID, c.Metadata["order"] = "x", "x", "x", "x"
	if p.Creditor.Address.Town != "Umeå" || p.Debtor.BBAN != "123" || p.TSU.TaxpayerID != "1" || p.Metadata["order"] != "1" {
		t.Fatalf("clone shares memory with the original: %+v", p)
	}
	// A field added later that holds a pointer, map or slice must be copied by Clone too.
	known := map[string]bool{"Debtor": true, "TSU": true, "Metadata": true, "Creditor": true}
	ty := reflect.TypeOf(Payment{})
	for i := range ty.NumField() {
		f := ty.Field(i)
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Struct:
			if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == "time" {
				continue
			}
			if !known[f.Name] {
				t.Errorf("Payment.%s is a %s: teach Clone to copy it, then add it here", f.Name, f.Type.Kind())
			}
		}
	}
}

func TestAttemptCloneIsDeep(t *testing.T) {
	a := &Attempt{ID: "auth_1", Extra: map[string]string{"k": "v"}, Challenge: &Challenge{Method: "SMS"},
		Accounts: []BankAccount{{IBAN: "SE1"}}}
	c := a.Clone()
	c.Extra["k"] = "x"
	c.Challenge.Method = "app"
	c.Accounts[0].IBAN = "SE2"
	if a.Extra["k"] != "v" || a.Challenge.Method != "SMS" || a.Accounts[0].IBAN != "SE1" {
		t.Fatalf("clone shares state: %+v", a)
	}
	deep := map[string]bool{"Extra": true, "Challenge": true, "Accounts": true}
	ty := reflect.TypeOf(Attempt{})
	for i := range ty.NumField() {
		f := ty.Field(i)
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			if !deep[f.Name] {
				t.Errorf("Attempt.%s is a %s: teach Clone to copy it, then add it here", f.Name, f.Type.Kind())
			}
		}
	}
}
