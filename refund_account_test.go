package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"paybybank/payment"
	"paybybank/store"
)

// The operator's refund-account commands: the provider is found from the bank's BIC in the
// configured providers' lists (here the sandbox's), unknown banks and bad accounts are refused
// and change nothing, and show prints what is set.
func TestRefundAccountCommands(t *testing.T) {
	path := t.TempDir() + "/pbb.db"
	db := store.NewDB(path, nil)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := &payment.Merchant{Name: "Shop", Creditor: payment.Creditor{Name: "Shop AB", IBAN: "SE7160000000000123456789"}}
	if err := db.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	db.Close()
	t.Setenv("PAYBYBANK_SANDBOX", "true")
	base := []string{"--db", path, "--addr", "127.0.0.1:0", "--merchant", m.ID}

	var out bytes.Buffer
	if err := refundAccountShow([]string{"--db", path, "--merchant", m.ID}, &out); err == nil || !strings.Contains(err.Error(), "no refund account") {
		t.Fatalf("show before set: %v", err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"UnknownBank", []string{"--bank", "ABCDSESS", "--iban", "SE3550000000054910000003"}, "not one of the configured providers' banks"},
		{"NotABIC", []string{"--bank", "nope", "--iban", "SE3550000000054910000003"}, "not a BIC"},
		{"BadIBAN", []string{"--bank", "HANDSESS", "--iban", "SE3550000000054910000004"}, "checksum"},
		{"BadCorporateID", []string{"--bank", "HANDSESS", "--iban", "SE3550000000054910000003", "--corporate-id", "556000\n0001"}, "printable ASCII"},
		{"UnknownMerchant", []string{"--merchant", "mer_nope", "--bank", "HANDSESS", "--iban", "SE3550000000054910000003"}, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := refundAccountSet(append(append([]string{}, base...), tc.args...), &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want %q", err, tc.want)
			}
		})
	}
	out.Reset()
	if err := refundAccountShow([]string{"--db", path, "--merchant", m.ID}, &out); err == nil {
		t.Fatalf("a refused set stored an account:\n%s", out.String())
	}

	out.Reset()
	if err := refundAccountSet(append(base, "--bank", "handsess", "--iban", "SE35 5000 0000 0549 1000 0003", "--corporate-id", "556000-0001"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Handelsbanken") || !strings.Contains(out.String(), "provider openpayments") {
		t.Fatalf("set:\n%s", out.String())
	}
	out.Reset()
	if err := refundAccountShow([]string{"--db", path, "--merchant", m.ID}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"HANDSESS", "openpayments", "SE3550000000054910000003", "Shop AB", "corporate id: 556000-0001"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("show lacks %s:\n%s", want, out.String())
		}
	}
	db = store.NewDB(path, nil)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := db.RefundAccount(ctx, m.ID)
	if err != nil || a.Provider != "openpayments" || a.BIC != "HANDSESS" || a.Account.IBAN != "SE3550000000054910000003" || a.CorporateID != "556000-0001" {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := db.RefundAccount(ctx, "mer_nope"); !errors.Is(err, payment.ErrNoRefundAccount) {
		t.Fatal(err)
	}
}
