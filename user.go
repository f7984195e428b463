package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"paybybank/store"
)

// userAdd adds a person to a merchant's workspace and prints the one-time link that sets their
// password (valid 24 hours, once): the first owner of a merchant comes from here, the others are
// invited from the workspace.
func userAdd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), "SQLite database path (PAYBYBANK_DB)")
	public := fs.String("public-url", env("PUBLIC_URL", "http://localhost:8080"), "the server's public origin (PAYBYBANK_PUBLIC_URL)")
	mid := fs.String("merchant", "", "merchant id")
	email := fs.String("email", "", "the person's e-mail address, which they sign in with")
	role := fs.String("role", "", "owner, developer, support or viewer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mid == "" || *email == "" || *role == "" {
		return errors.New("user add: --merchant, --email and --role are required")
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Merchant(ctx, *mid); err != nil {
		return fmt.Errorf("user add: merchant %q: %w", *mid, err)
	}
	u, token, err := db.CreateUser(ctx, *mid, *email, store.Role(*role))
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(out, "user: %s (%s)\nset the password within 24 hours, once, at:\n%s/merchant/password/%s\n",
		u.Email, u.Role, strings.TrimRight(*public, "/"), token)
	return nil
}
