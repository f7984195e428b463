package store_test

import "testing"

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
	} {
		t.Run(tc.name, tc.test)
	}
}
