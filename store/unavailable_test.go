package store_test

import (
	"context"
	"errors"
	"testing"

	"paybybank/store"
)

// TestUnavailable makes the database refuse writes for real and checks that every way it does is
// ErrUnavailable, for creations and for the write probe, and that both work again once lifted.
// On PostgreSQL the database is made read-only (as a standby is); a full disk there is another
// machine's, which a test cannot fill.
func TestUnavailable(t *testing.T) {
	cases := []struct{ name, fail, lift string }{
		{"ErrFull", "PRAGMA max_page_count = 1", "PRAGMA max_page_count = 1073741823"},
		{"ErrReadOnly", "PRAGMA query_only = 1", "PRAGMA query_only = 0"},
	}
	if onPostgres(t) {
		cases = cases[:0]
		cases = append(cases, struct{ name, fail, lift string }{"ErrReadOnly", "SET default_transaction_read_only = on", "SET default_transaction_read_only = off"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenDB(t)
			ctx := context.Background()
			m := mustMerchant(t, db)
			if err := db.ProbeWrite(ctx); err != nil {
				t.Fatalf("probe: %v", err)
			}
			if err := db.ExecEveryConn(ctx, tc.fail); err != nil {
				t.Fatal(err)
			}
			var err error
			for i := 0; err == nil && i < 5000; i++ { // fill what room the file has left
				_, _, err = db.CreatePayment(ctx, newPayment(m), "", "")
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("creation: %v, want ErrUnavailable", err)
			}
			if err := db.ProbeWrite(ctx); !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("probe: %v, want ErrUnavailable", err)
			}
			if err := db.ExecEveryConn(ctx, tc.lift); err != nil {
				t.Fatal(err)
			}
			if err := db.ProbeWrite(ctx); err != nil {
				t.Fatalf("probe after lifting: %v", err)
			}
			if _, _, err := db.CreatePayment(ctx, newPayment(m), "", ""); err != nil {
				t.Fatalf("creation after lifting: %v", err)
			}
		})
	}
}
