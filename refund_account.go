package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"paybybank/app"
	"paybybank/payment"
	"paybybank/store"
)

// refundAccountSet sets the merchant's own account refunds are paid from. The bank is named by
// its BIC and must be one of the configured providers' banks (the sandbox's when it is on): the
// provider that serves it is where a person of the merchant will authorise the refunds.
func refundAccountSet(args []string, out io.Writer) error {
	var mid, bic, iban, name, corporateID string
	c, err := parseConfig(args, func(fs *flag.FlagSet) {
		fs.StringVar(&mid, "merchant", "", "merchant id")
		fs.StringVar(&bic, "bank", "", "BIC of the merchant's bank, one of the configured providers' banks")
		fs.StringVar(&iban, "iban", "", "IBAN of the merchant's account refunds are paid from")
		fs.StringVar(&name, "name", "", "account holder's name (default: the merchant's creditor name)")
		fs.StringVar(&corporateID, "corporate-id", "", "the merchant's identification at that bank for business payments (PSU-Corporate-ID), where the bank mandates one")
	})
	if err != nil {
		return err
	}
	bic = strings.ToUpper(strings.TrimSpace(bic))
	switch {
	case mid == "":
		return errors.New("refund-account set: --merchant is required")
	case !payment.ValidBIC(bic):
		return fmt.Errorf("refund-account set: --bank %q is not a BIC such as HANDSESS", bic)
	}
	acct, err := payment.ParseIBANAccount(iban)
	if err != nil {
		return fmt.Errorf("refund-account set: --iban: %w", err)
	}
	if name = strings.TrimSpace(name); len([]rune(name)) > 70 {
		return errors.New("refund-account set: --name must be at most 70 characters")
	}
	if corporateID = strings.TrimSpace(corporateID); len(corporateID) > 70 || strings.ContainsFunc(corporateID, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return errors.New("refund-account set: --corporate-id must be at most 70 printable ASCII characters (it goes in an HTTP header)")
	}
	db, err := openStore(c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := db.Merchant(ctx, mid)
	if err != nil {
		return fmt.Errorf("refund-account set: merchant %q: %w", mid, err)
	}
	if name == "" {
		name = m.Creditor.Name
	}
	provider, bankName, err := findBank(ctx, c, db, bic)
	if err != nil {
		return fmt.Errorf("refund-account set: %w", err)
	}
	a := &payment.RefundAccount{MerchantID: m.ID, BIC: bic, Provider: provider, Account: acct, Name: name, CorporateID: corporateID}
	if err := db.SetRefundAccount(ctx, a); err != nil {
		return fmt.Errorf("refund-account set: %w", err)
	}
	fmt.Fprintf(out, "refund account of %s: %s at %s (%s, provider %s), held by %s\n", m.ID, acct.IBAN, bankName, bic, provider, name)
	return nil
}

// findBank looks a BIC up in the bank lists of the providers serve's settings turn on, the
// sandbox's included, and returns the provider serving it and the bank's name. It builds the
// providers as the server does, with the sandbox served on a loopback port of its own for the
// time of the look-up, so the answer is the one the server would give.
func findBank(ctx context.Context, c *config, db *store.DB, bic string) (provider, name string, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", err
	}
	cfg := c.Config
	cfg.Addr, cfg.SelfURL = ln.Addr().String(), "http://"+ln.Addr().String()
	cfg.DB = "" // the sandbox keeps no state file for a look-up
	key := make([]byte, 32)
	rand.Read(key) // signs nothing that outlives the look-up
	a, err := app.Build(&cfg, db, key, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		ln.Close()
		return "", "", err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		srv.Close()
		if a.Sandbox != nil {
			a.Sandbox.Close()
		}
	}()
	b, err := a.Checkout.Bank(ctx, bic)
	if errors.Is(err, payment.ErrNotFound) {
		return "", "", fmt.Errorf("bank %s is not one of the configured providers' banks; check the BIC, or configure the provider serving it", bic)
	} else if err != nil {
		return "", "", fmt.Errorf("bank lists: %w", err)
	}
	return b.Provider, b.Name, nil
}

// refundAccountShow prints the merchant's account refunds are paid from.
func refundAccountShow(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("merchant refund-account show", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	mid := fs.String("merchant", "", "merchant id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Merchant(ctx, *mid); err != nil {
		return fmt.Errorf("refund-account show: merchant %q: %w", *mid, err)
	}
	a, err := db.RefundAccount(ctx, *mid)
	if errors.Is(err, payment.ErrNoRefundAccount) {
		return fmt.Errorf("refund-account show: merchant %s has no refund account; set one with paybybank merchant refund-account set", *mid)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(out, "bank:     %s\nprovider: %s\niban:     %s\nname:     %s\n", a.BIC, a.Provider, a.Account.IBAN, a.Name)
	if a.CorporateID != "" {
		fmt.Fprintf(out, "corporate id: %s\n", a.CorporateID)
	}
	fmt.Fprintf(out, "updated:  %s\n", a.UpdatedAt.UTC().Format(time.DateTime))
	return nil
}
