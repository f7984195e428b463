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

// The operator's key commands: list a merchant's keys, rotate (a second key beside the first),
// revoke the old one; the revoked key is refused from then on.
func TestAPIKeyCommands(t *testing.T) {
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
	old, _ := db.CreateAPIKey(ctx, m.ID)
	fresh, _ := db.CreateAPIKey(ctx, m.ID)
	db.Close()

	var out bytes.Buffer
	if err := apikeyList([]string{"--db", path, "--merchant", m.ID}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(out.String(), "pbb_…"+old[len(old)-4:]) || !strings.Contains(out.String(), "pbb_…"+fresh[len(fresh)-4:]) {
		t.Fatalf("list:\n%s", out.String())
	}
	var oldID string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if f[len(f)-1] != "-" {
			t.Fatalf("a key is revoked before any revocation:\n%s", out.String())
		}
		if strings.Contains(l, old[len(old)-4:]) {
			oldID = f[0]
		}
	}

	if err := apikeyRevoke([]string{"--db", path, "--merchant", m.ID, "--id", "nope"}, &out); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("revoking an unknown key: %v", err)
	}
	if err := apikeyRevoke([]string{"--db", path, "--merchant", m.ID, "--id", oldID}, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := apikeyList([]string{"--db", path, "--merchant", m.ID}, &out); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		f := strings.Fields(l)
		if revoked := f[len(f)-1] != "-"; revoked != (f[0] == oldID) {
			t.Fatalf("after revoking %s:\n%s", oldID, out.String())
		}
	}

	db = store.NewDB(path, nil)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MerchantByAPIKey(ctx, old); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("revoked key: %v", err)
	}
	if _, err := db.MerchantByAPIKey(ctx, fresh); err != nil {
		t.Fatalf("new key: %v", err)
	}
}
