package main

import (
	"context"
	"testing"
	"time"

	"paybybank/internal/pgtest"
	"paybybank/payment"
	"paybybank/store"
)

// `paybybank migrate --to postgres://…`: payments made on SQLite are read back on PostgreSQL,
// and a server on the file cannot be running meanwhile (the copy takes the file's lock).
func TestPostgresMigrateTo(t *testing.T) {
	pg := pgtest.URL(t)
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
	var ids []string
	for range 3 {
		p, _, err := db.CreatePayment(ctx, &payment.Payment{MerchantID: m.ID, AmountMinor: 24900, Currency: "SEK",
			Reference: "Order", Creditor: m.Creditor, ExpiresAt: time.Now().Add(time.Hour)}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	db.Close()

	if err := migrate([]string{"--db", path, "--to", pg}); err != nil {
		t.Fatal(err)
	}
	dst := store.NewDB(pg, nil)
	if err := dst.Open(); err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, id := range ids {
		if p, err := dst.Payment(ctx, id); err != nil || p.MerchantID != m.ID || p.AmountMinor != 24900 {
			t.Fatalf("%s on PostgreSQL: %+v %v", id, p, err)
		}
	}
	if err := migrate([]string{"--db", path, "--to", pg}); err == nil {
		t.Fatal("copied twice into the same database")
	}
}
