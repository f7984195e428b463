// Package pgtest gives tests a PostgreSQL database of their own: a fresh schema on the server
// named by PAYBYBANK_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test), dropped when
// the test ends. Without a server the test is skipped, and says so; with CI=true it fails, so a CI
// machine without PostgreSQL cannot pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the development and CI machines' PostgreSQL.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL is the PostgreSQL server tests use.
func ServerURL() string {
	if u := os.Getenv("PAYBYBANK_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

// URL creates a schema of the test's own and returns a URL whose connections use it (search_path),
// for store.NewDB and for server binaries' --db. The schema is dropped at cleanup.
func URL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL at %s: %v (CI=true: PostgreSQL tests must run)", ServerURL(), err)
		}
		tb.Skipf("SKIPPED: no PostgreSQL at %s (%v); set PAYBYBANK_TEST_POSTGRES or start one", ServerURL(), err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, ServerURL())
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(ServerURL())
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
