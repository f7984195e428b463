package store_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"paybybank/internal/pgtest"
	"paybybank/store"
)

// TestPostgresStore runs the store's whole suite on PostgreSQL: each test below opens its
// databases with MustOpenDB or freshDSN, which give it a schema of its own there because it runs
// under this test's name (onPostgres). Run alone, they use SQLite. Left out: the tests of SQLite's
// own machinery (the file lock, and the row cache's internals, which keeps nothing on PostgreSQL).
func TestPostgresStore(t *testing.T) {
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"MerchantsAndKeys", TestMerchantsAndKeys},
		{"MerchantIdentity", TestMerchantIdentity},
		{"CreatePaymentIdempotency", TestCreatePaymentIdempotency},
		{"Transition", TestTransition},
		{"EventLogAppendOnly", TestEventLogAppendOnly},
		{"Authorisations", TestAuthorisations},
		{"PaymentsPagination", TestPaymentsPagination},
		{"SessionStore", TestSessionStore},
		{"CreatePaymentGroupCommit", TestCreatePaymentGroupCommit},
		{"IdempotencyClaims", TestIdempotencyClaims},
		{"APIKeyRevocation", TestAPIKeyRevocation},
		{"PaymentCacheFollowsEveryWrite", TestPaymentCacheFollowsEveryWrite},
		{"PaymentCacheUnderConcurrentWrites", TestPaymentCacheUnderConcurrentWrites},
		{"SessionCacheFollowsWrites", TestSessionCacheFollowsWrites},
		{"AuthorisationCacheFollowsEveryWrite", TestAuthorisationCacheFollowsEveryWrite},
		{"ConcurrentFirstWrites", TestConcurrentFirstWrites},
		{"Unavailable", TestUnavailable},
		{"Leases", TestLeases},
		{"WebhookClaims", TestWebhookClaims},
		{"Subscribe", TestSubscribe},
		{"AttemptFields", TestAttemptFields},
		{"EndAttempt", TestEndAttempt},
		{"Users", TestUsers},
		{"CreateRefund", TestCreateRefund},
		{"CreateRefundConcurrently", TestCreateRefundConcurrently},
		{"TransitionRefund", TestTransitionRefund},
		{"PayerAccountSealed", TestPayerAccountSealed},
		{"RefundAccount", TestRefundAccount},
	} {
		t.Run(tc.name, tc.test)
	}
}

// sqliteOnly are the store's tests that are about SQLite alone or touch no database (its file lock, the row cache
// kept only there, the dialect's rewriting) or are the PostgreSQL runs themselves.
var sqliteOnly = map[string]bool{"TestLockRefusesASecondServer": true, "TestRowCacheBounded": true,
	"TestRowCacheRefusesARacedRead": true, "TestRebind": true, "TestPostgresStore": true, "TestPostgresCopyFromSQLite": true,
	"TestTOTPCode": true} // TOTPCode: arithmetic, no database

// TestEveryStoreTestRunsOnPostgres fails when a store test is added without a place in
// TestPostgresStore's list, so the whole suite keeps running on both engines.
func TestEveryStoreTestRunsOnPostgres(t *testing.T) {
	src, err := os.ReadFile("postgres_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*_test.go")
	re := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			name := m[1]
			if sqliteOnly[name] || name == "TestEveryStoreTestRunsOnPostgres" {
				continue
			}
			if !strings.Contains(string(src), ", "+name+"}") {
				t.Errorf("%s (%s) does not run on PostgreSQL: add it to TestPostgresStore", name, f)
			}
		}
	}
}

// BenchmarkPostgresPaymentRead measures a checkout page's payment read on PostgreSQL with the
// row cache SQLite uses and without it (as cluster mode runs): what keeping rows and invalidating
// them by NOTIFY could save, against a database round trip.
func BenchmarkPostgresPaymentRead(b *testing.B) {
	for _, tc := range []struct {
		name string
		keep bool
	}{{"NotKept", false}, {"Kept", true}} {
		b.Run(tc.name, func(b *testing.B) {
			db := store.NewDB(pgtest.URL(b), nil)
			if err := db.Open(); err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if tc.keep {
				db.KeepRowsForBenchmark()
			}
			m := mustMerchant(b, db)
			p, _, err := db.CreatePayment(context.Background(), newPayment(m), "", "")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := db.PaymentByToken(context.Background(), p.Token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
