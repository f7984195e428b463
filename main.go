// Command paybybank is a self-hosted pay-by-bank checkout. main.go is wiring only: it parses
// the configuration, opens the store, builds the providers, starts the server and the
// reconciler, and shuts them down.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"paybybank/app"
	"paybybank/banks"
	"paybybank/checkout"
	"paybybank/handlers"
	"paybybank/payment"
	"paybybank/store"
	"paybybank/views"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "paybybank:", err)
		os.Exit(1)
	}
}

const usage = `usage: paybybank <command> [flags]

commands:
  serve            start the server (see paybybank serve -h)
  merchant create  create a merchant: --name, --origin, --creditor-name, --iban
  merchant brand   set what shoppers see: --merchant, --display-name, --accent #rrggbb, --logo file.png
  merchant webhook set  add a webhook endpoint (or renew the secret of the one at that URL) and print
                   its signing secret: --merchant, --url
  merchant identity set  set the company registration some banks require (Powens): --merchant,
                   --scheme siren, --id 552100554, --legal-status SAS (or --clear)
  merchant refund-account set  set the merchant's own account refunds are paid from (the provider
                   comes from the bank): --merchant, --bank BIC, --iban [--name]; takes serve's
                   provider settings to find the bank
  merchant refund-account show  print it: --merchant
  apikey create    mint an API key: --merchant (a merchant may hold several: rotate by creating one, then revoking the old)
  apikey list      list a merchant's API keys (id, prefix, created, revoked): --merchant
  apikey revoke    revoke an API key; the API refuses it within 5 seconds: --merchant, --id
  user add         add a person to a merchant's workspace and print their one-time password link:
                   --merchant, --email, --role owner|developer|support|viewer
  link             mint a signed payment link: --merchant, --amount, --currency, --reference [--per-visit]
  migrate          create or upgrade the database
`

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	switch {
	case args[0] == "serve":
		return serve(args[1:])
	case args[0] == "link":
		return linkCmd(args[1:])
	case args[0] == "migrate":
		return migrate(args[1:])
	case len(args) > 1 && args[0] == "merchant" && args[1] == "create":
		return merchantCreate(args[2:])
	case len(args) > 2 && args[0] == "merchant" && args[1] == "webhook" && args[2] == "set":
		return webhookSet(args[3:])
	case len(args) > 2 && args[0] == "merchant" && args[1] == "identity" && args[2] == "set":
		return identitySet(args[3:])
	case len(args) > 2 && args[0] == "merchant" && args[1] == "refund-account" && args[2] == "set":
		return refundAccountSet(args[3:], os.Stdout)
	case len(args) > 2 && args[0] == "merchant" && args[1] == "refund-account" && args[2] == "show":
		return refundAccountShow(args[3:], os.Stdout)
	case len(args) > 1 && args[0] == "merchant" && args[1] == "brand":
		return merchantBrand(args[2:])
	case len(args) > 1 && args[0] == "user" && args[1] == "add":
		return userAdd(args[2:], os.Stdout)
	case len(args) > 1 && args[0] == "apikey" && args[1] == "create":
		return apikeyCreate(args[2:])
	case len(args) > 1 && args[0] == "apikey" && args[1] == "list":
		return apikeyList(args[2:], os.Stdout)
	case len(args) > 1 && args[0] == "apikey" && args[1] == "revoke":
		return apikeyRevoke(args[2:], os.Stdout)
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

// env returns PAYBYBANK_<name> or def: every flag has an environment variable beside it.
func env(name, def string) string {
	if v, ok := os.LookupEnv("PAYBYBANK_" + name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv("PAYBYBANK_" + name); ok {
		b, err := strconv.ParseBool(v)
		if err == nil {
			return b
		}
	}
	return def
}

// config is app.Config plus what only serve needs.
type config struct {
	app.Config
	SecretKey string
	Demo      bool
	// ShutdownTimeout is how long a SIGTERM waits for requests in flight. It is longer than a
	// bank call may take, so a shopper whose choice is at the bank gets the bank's answer.
	ShutdownTimeout time.Duration
}

// defaultShutdownTimeout is above banks.DefaultTimeout (15 s a try) with room to store the answer.
const defaultShutdownTimeout = 30 * time.Second

// parseConfig reads serve's flags and variables; more adds a command's own flags beside them.
func parseConfig(args []string, more ...func(*flag.FlagSet)) (*config, error) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	for _, add := range more {
		add(fs)
	}
	fs.StringVar(&c.Addr, "addr", env("ADDR", ":8080"), "listen address (PAYBYBANK_ADDR)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("METRICS_ADDR", "127.0.0.1:9090"), "listen address for /metrics, kept off the public listener; empty turns it off (PAYBYBANK_METRICS_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL", ""), "origin shoppers and banks reach, e.g. https://pay.example.com (PAYBYBANK_PUBLIC_URL)")
	fs.StringVar(&c.DB, "db", env("DB", "data/paybybank.db"), dbUsage)
	fs.StringVar(&c.SecretKey, "secret-key", env("SECRET_KEY", ""), "hex key signing cookies, links and states; required in production (PAYBYBANK_SECRET_KEY)")
	fs.StringVar(&c.Env, "env", env("ENV", "development"), "development or production (PAYBYBANK_ENV)")
	fs.BoolVar(&c.Demo, "demo", envBool("DEMO", false), "create a demo merchant and print its API key and a checkout link (PAYBYBANK_DEMO)")
	fs.Float64Var(&c.RateLimit, "rate-limit", 20, "requests per second per client IP on public endpoints, 0 to disable (PAYBYBANK_RATE_LIMIT)")
	if v := env("RATE_LIMIT", ""); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			c.RateLimit = f
		}
	}
	proxies := fs.String("trusted-proxies", env("TRUSTED_PROXIES", ""), "addresses or CIDR prefixes of the proxies in front of us, whose X-Forwarded-For names the shopper (PAYBYBANK_TRUSTED_PROXIES)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "how long SIGTERM waits for requests in flight, bank calls included (PAYBYBANK_SHUTDOWN_TIMEOUT)")
	if v := env("SHUTDOWN_TIMEOUT", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("PAYBYBANK_SHUTDOWN_TIMEOUT: %w", err)
		}
		c.ShutdownTimeout = d
	}
	providerFlags := providerSettings(fs, app.Providers)
	fs.BoolVar(&c.Sandbox, "sandbox", envBool("SANDBOX", false), "mount the sandbox banks under /sandbox (PAYBYBANK_SANDBOX); on unless a real provider is configured or in production")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.Env != "development" && c.Env != "production" {
		return nil, fmt.Errorf("--env (PAYBYBANK_ENV) %q is not known: use development or production", c.Env)
	}
	c.Providers = map[string]banks.Settings{}
	for name, values := range providerFlags {
		c.Providers[name] = banks.Settings{}
		for setting, v := range values {
			c.Providers[name][setting] = *v
		}
	}
	// Unless asked for either way, the sandbox is on only in development with no real provider:
	// a provider turned on by a flag counts as much as one turned on by its variable.
	if _, set := os.LookupEnv("PAYBYBANK_SANDBOX"); !set && !flagSet(fs, "sandbox") {
		c.Sandbox = c.Env == "development" && !anyProviderEnabled(app.Providers, c.Providers)
	}
	var err error
	if c.TrustedProxies, err = handlers.ParseTrustedProxies(*proxies); err != nil {
		return nil, err
	}
	if c.PublicURL == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return nil, fmt.Errorf("addr %q: %w", c.Addr, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.SelfURL = app.LoopbackURL(c.Addr)
	if c.Env == "production" {
		if c.SecretKey == "" {
			return nil, errors.New("PAYBYBANK_SECRET_KEY is required in production")
		}
		if c.Sandbox {
			return nil, errors.New("the sandbox cannot run in production")
		}
		if !strings.HasPrefix(c.PublicURL, "https://") {
			return nil, errors.New("PAYBYBANK_PUBLIC_URL must be https in production")
		}
	}
	return &c, nil
}

// providerSettings declares each registered provider's settings as flags, -<provider>-<setting>,
// whose defaults come from PAYBYBANK_<PROVIDER>_<SETTING>; it returns the flags' values by
// provider and setting, read once the flags are parsed.
func providerSettings(fs *flag.FlagSet, list []banks.Registration) map[string]map[string]*string {
	out := map[string]map[string]*string{}
	for _, r := range list {
		out[r.Name] = map[string]*string{}
		for _, s := range r.Settings {
			env := r.Env(s)
			def := s.Default
			if v, ok := os.LookupEnv(env); ok {
				def = v
			}
			out[r.Name][s.Name] = fs.String(r.Flag(s), def, s.Usage+" ("+env+")")
		}
	}
	return out
}

// anyProviderEnabled reports whether the settings (from flags and variables) turn a real
// provider on, which turns the sandbox off by default.
func anyProviderEnabled(list []banks.Registration, settings map[string]banks.Settings) bool {
	for _, r := range list {
		if r.Enabled(settings[r.Name]) {
			return true
		}
	}
	return false
}

// flagSet reports whether the command line gave the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// dbUsage is the --db flag's help, the same for every command.
const dbUsage = "SQLite database path, or a postgres:// URL for several servers on one database (PAYBYBANK_DB)"

// openStore opens the database named by --db: a SQLite file (its folder made if missing) or a
// PostgreSQL database by its postgres:// URL.
func openStore(path string) (*store.DB, error) {
	if !store.IsPostgres(path) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
	}
	db := store.NewDB(path, nil) // the real clock
	return db, db.Open()
}

func serve(args []string) error {
	c, err := parseConfig(args)
	if err != nil {
		return err
	}
	var logger *slog.Logger
	if c.Env == "production" {
		logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	} else {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	slog.SetDefault(logger)
	db, err := openStore(c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Lock(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var key []byte
	if c.SecretKey != "" {
		if key, err = hex.DecodeString(c.SecretKey); err != nil || len(key) < 32 {
			return errors.New("PAYBYBANK_SECRET_KEY must be at least 32 bytes in hex")
		}
	} else if key, err = db.SecretKey(ctx); err != nil {
		return err
	}
	// Payers' accounts are encrypted at rest under a key derived from the server's secret.
	if err := db.UseSecret(key); err != nil {
		return fmt.Errorf("payer accounts: %w", err)
	}

	a, err := app.Build(&c.Config, db, key, logger)
	if err != nil {
		return err
	}
	svc := a.Checkout

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	srv.RegisterOnShutdown(a.EndStreams) // open checkout pages reconnect to the next server
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("paybybank listening", slog.String("addr", c.Addr), slog.String("public_url", c.PublicURL), slog.Bool("sandbox", c.Sandbox))
	if c.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		msrv := &http.Server{Handler: a.Metrics, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		go func() { errc <- msrv.Serve(mln) }()
		defer msrv.Close()
		logger.Info("metrics listening", slog.String("addr", mln.Addr().String()))
	}

	if c.Demo {
		if err := demo(ctx, db, svc, c.PublicURL); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	// The workers run until the requests in flight are answered, then stop; they are joined
	// before the database closes (deferred above), so none writes to a closed database.
	wctx, stopWorkers := context.WithCancel(context.Background())
	defer stopWorkers()
	var workers sync.WaitGroup
	rec := &checkout.Reconciler{Service: svc, Logger: logger}
	workers.Go(func() { rec.Run(wctx) })
	workers.Go(func() { a.Webhooks.Run(wctx) })

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		logger.Info("shutting down: answering the requests in flight", slog.Duration("timeout", c.ShutdownTimeout))
		sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
		defer cancel()
		if serveErr = srv.Shutdown(sctx); serveErr != nil {
			serveErr = fmt.Errorf("shutdown: %w", serveErr)
		}
	}
	stopWorkers()
	workers.Wait()
	logger.Info("workers stopped; closing the database")
	return serveErr
}

// demo makes sure the demo merchant exists, mints it a fresh API key (keys are stored hashed, so
// an old one cannot be shown again) and creates a payment to try.
func demo(ctx context.Context, db *store.DB, svc *checkout.Service, publicURL string) error {
	ms, err := db.Merchants(ctx)
	if err != nil {
		return err
	}
	var m *payment.Merchant
	for _, x := range ms {
		if x.Name == "Demo Shop" {
			m = x
		}
	}
	if m == nil {
		m = &payment.Merchant{Name: "Demo Shop", AllowedOrigins: []string{publicURL},
			Creditor: payment.Creditor{Name: "Demo Shop AB", IBAN: "SE7160000000000123456789", BBAN: "123456789", ClearingNumber: "6789", BIC: "HANDSESS",
				Address: &payment.Address{Street: "Storgatan 1", PostCode: "111 22", Town: "Stockholm", Country: "SE"}}}
		if err := db.CreateMerchant(ctx, m); err != nil {
			return err
		}
	}
	if m.Identity == nil {
		// Powens' sandbox banks want to know who is paid: the demo shop is a made-up SAS.
		if err := db.SetIdentity(ctx, m.ID, &payment.Identity{Scheme: "siren", ID: "552100554", LegalStatus: "SAS"}); err != nil {
			return err
		}
	}
	key, err := db.CreateAPIKey(ctx, m.ID)
	if err != nil {
		return err
	}
	// The demo payment is refundable (the checkout asks the shopper's account at every bank), and
	// the demo shop pays refunds from its account at the sandbox SEB (BankID, bulk payments).
	p, _, err := svc.CreatePayment(ctx, m, checkout.NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 1001",
		ReturnURL: publicURL + "/demo/return", ExpiresIn: 3600, Refundable: true}, "", "")
	if err != nil {
		return err
	}
	refunds, err := demoRefundAccount(ctx, db, svc, m)
	if err != nil {
		return err
	}
	// The workspace has people, not keys: the demo shop gets an owner, whose one-time link to set
	// a password is printed the first time (later: `paybybank user add` for another person).
	workspace := publicURL + "/merchant (sign in as " + demoOwner + ")"
	if users, err := db.Users(ctx, m.ID); err != nil {
		return err
	} else if len(users) == 0 {
		_, token, err := db.CreateUser(ctx, m.ID, demoOwner, store.RoleOwner)
		if err != nil {
			return err
		}
		workspace = publicURL + "/merchant/password/" + token + " (set " + demoOwner + "'s password, then sign in)"
	}
	fmt.Printf(`
  paybybank is running at %[1]s (sandbox banks on)

  Demo merchant:   %[2]s (%[3]s)
  API key:         %[4]s
  Return secret:   %[5]s  (signs return URLs and payment links)
  Checkout link:   %[6]s
  Workspace:       %[7]s

  Create a payment:
    curl -X POST %[1]s/api/v1/payments -H 'Authorization: Bearer %[4]s' -H 'Idempotency-Key: k1' \
      -d '{"amount":"249.00","currency":"SEK","reference":"Order 1001","return_url":"%[1]s/demo/return"}'

  Refunds:         paid from %[8]s
    Pay the checkout link, then refund it and authorise the refund in the workspace's Refunds:
    curl -X POST %[1]s/api/v1/payments/%[9]s/refunds -H 'Authorization: Bearer %[4]s' -d '{"amount":"100.00"}'

`, publicURL, m.Name, m.ID, key, m.SigningSecret, svc.CheckoutURL(p), workspace, refunds, p.ID)
	return nil
}

// demoBank is the sandbox bank the demo shop pays refunds from, and its account there.
const (
	demoBank        = "ESSESESS"
	demoRefundsIBAN = "SE4550000000058398257466"
)

// demoRefundAccount gives the demo shop an account to pay refunds from at the sandbox SEB, unless
// it has one, and says which.
func demoRefundAccount(ctx context.Context, db *store.DB, svc *checkout.Service, m *payment.Merchant) (string, error) {
	a, err := db.RefundAccount(ctx, m.ID)
	if errors.Is(err, payment.ErrNoRefundAccount) {
		b, err := svc.Bank(ctx, demoBank)
		if err != nil {
			return "", fmt.Errorf("the sandbox bank %s: %w", demoBank, err)
		}
		acct, err := payment.ParseIBANAccount(demoRefundsIBAN)
		if err != nil {
			return "", err
		}
		a = &payment.RefundAccount{MerchantID: m.ID, BIC: demoBank, Provider: b.Provider, Account: acct, Name: m.Creditor.Name}
		if err := db.SetRefundAccount(ctx, a); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	return a.Account.IBAN + " at " + a.BIC + " (" + a.Provider + "), held by " + a.Name, nil
}

// demoOwner is the demo shop's owner in the workspace.
const demoOwner = "owner@demo.example"

func migrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	to := fs.String("to", "", "copy the SQLite database into this empty PostgreSQL database (postgres://…); stop the server first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	if *to == "" {
		fmt.Println("database is up to date:", redactDSN(*path))
		return nil
	}
	if db.Postgres() || !store.IsPostgres(*to) {
		return errors.New("migrate --to copies a SQLite database (--db) into PostgreSQL (--to postgres://…)")
	}
	if err := db.Lock(); err != nil { // no server may write the file while it is copied
		return err
	}
	dst, err := openStore(*to)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := db.CopyTo(context.Background(), dst); err != nil {
		return err
	}
	fmt.Printf("copied %s into %s; start the servers with --db on it\n", *path, redactDSN(*to))
	return nil
}

// redactDSN hides a PostgreSQL URL's password, for printing.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && store.IsPostgres(dsn) {
		return u.Redacted()
	}
	return dsn
}

func merchantCreate(args []string) error {
	fs := flag.NewFlagSet("merchant create", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	name := fs.String("name", "", "merchant name shown to shoppers")
	origins := fs.String("origin", "", "allowed return origins, comma-separated (https://shop.example.com)")
	cname := fs.String("creditor-name", "", "account holder name")
	iban := fs.String("iban", "", "account IBAN")
	bban := fs.String("bban", "", "account number (BBAN), for banks that want it")
	clearing := fs.String("clearing-number", "", "Swedish clearing number with --bban")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New("--name is required")
	}
	cr := payment.Creditor{Name: *cname, IBAN: *iban, BBAN: *bban, ClearingNumber: *clearing}
	if err := cr.Validate(""); err != nil {
		return err
	}
	var list []string
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			list = append(list, o)
		}
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	m := &payment.Merchant{Name: *name, AllowedOrigins: list, Creditor: cr}
	if err := db.CreateMerchant(context.Background(), m); err != nil {
		return err
	}
	key, err := db.CreateAPIKey(context.Background(), m.ID)
	if err != nil {
		return err
	}
	fmt.Printf("merchant: %s\napi key: %s\nreturn-URL and link signing secret: %s\n", m.ID, key, m.SigningSecret)
	return nil
}

func apikeyCreate(args []string) error {
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
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
	if _, err := db.Merchant(context.Background(), *mid); err != nil {
		return fmt.Errorf("merchant %q: %w", *mid, err)
	}
	key, err := db.CreateAPIKey(context.Background(), *mid)
	if err != nil {
		return err
	}
	fmt.Println(key)
	return nil
}

// apikeyList prints a merchant's keys, one a line. The keys themselves are not kept (only their
// hashes), so a key is shown by its id and last characters. When a key was last used is not recorded.
func apikeyList(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("apikey list", flag.ContinueOnError)
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
	if _, err := db.Merchant(context.Background(), *mid); err != nil {
		return fmt.Errorf("apikey list: merchant %q: %w", *mid, err)
	}
	keys, err := db.APIKeys(context.Background(), *mid)
	if err != nil {
		return fmt.Errorf("apikey list: %w", err)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKEY\tCREATED (UTC)\tREVOKED (UTC)")
	for _, k := range keys {
		revoked := "-"
		if k.Revoked() {
			revoked = k.RevokedAt.UTC().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Prefix(), k.CreatedAt.UTC().Format(time.DateTime), revoked)
	}
	return tw.Flush()
}

// apikeyRevoke revokes one of a merchant's keys. A running server forgets a key it has cached
// within 5 seconds (its merchant cache); a merchant-view session signed in with it ends at once.
func apikeyRevoke(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("apikey revoke", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	mid := fs.String("merchant", "", "merchant id")
	id := fs.String("id", "", "key id, from apikey list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mid == "" || *id == "" {
		return errors.New("apikey revoke: --merchant and --id are required")
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RevokeAPIKey(context.Background(), *mid, *id); err != nil {
		return fmt.Errorf("apikey revoke: key %q of merchant %q: %w", *id, *mid, err)
	}
	fmt.Fprintf(out, "revoked %s\n", *id)
	return nil
}

// maxLogo keeps the checkout light: the whole page stays under 50 KB with the logo in it.
const maxLogo = 24 << 10

func merchantBrand(args []string) error {
	fs := flag.NewFlagSet("merchant brand", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	mid := fs.String("merchant", "", "merchant id")
	name := fs.String("display-name", "", "name shown to shoppers (default: the merchant's name)")
	accent := fs.String("accent", "", "accent colour #rrggbb (darkened on the page if it lacks contrast)")
	logoFile := fs.String("logo", "", "PNG or JPEG logo, at most 24 KiB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *accent != "" && !views.ValidAccent(*accent) {
		return fmt.Errorf("--accent must be #rrggbb, not %q", *accent)
	}
	var logo []byte
	var typ string
	if *logoFile != "" {
		var err error
		if logo, err = os.ReadFile(*logoFile); err != nil {
			return err
		}
		typ = http.DetectContentType(logo)
		if typ != "image/png" && typ != "image/jpeg" {
			return fmt.Errorf("--logo must be PNG or JPEG, not %s", typ)
		}
		if len(logo) > maxLogo {
			return fmt.Errorf("--logo is %d bytes; at most %d", len(logo), maxLogo)
		}
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetBranding(context.Background(), *mid, *name, *accent, logo, typ); err != nil {
		return fmt.Errorf("merchant %q: %w", *mid, err)
	}
	if a := views.AccessibleAccent(*accent); a != "" && a != strings.ToLower(*accent) {
		fmt.Printf("accent %s lacks contrast on white; the checkout shows it as %s\n", *accent, a)
	}
	fmt.Println("branding saved")
	return nil
}

// identitySet stores the merchant's company registration, which Powens sends as the payer's and
// the beneficiary's identity: without one, Powens' banks are not offered for the merchant.
func identitySet(args []string) error {
	fs := flag.NewFlagSet("merchant identity set", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	mid := fs.String("merchant", "", "merchant id")
	scheme := fs.String("scheme", "siren", "the register the number is from (siren for the French register)")
	id := fs.String("id", "", "the merchant's number in that register, e.g. a nine-digit SIREN")
	legal := fs.String("legal-status", "", "the merchant's legal form, e.g. SAS, SARL")
	clear := fs.Bool("clear", false, "remove the identity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ident *payment.Identity
	if !*clear {
		ident = &payment.Identity{Scheme: *scheme, ID: *id, LegalStatus: *legal}
		if err := ident.Check(); err != nil {
			return err
		}
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetIdentity(context.Background(), *mid, ident); err != nil {
		return fmt.Errorf("merchant %q: %w", *mid, err)
	}
	fmt.Println("identity saved")
	return nil
}

func webhookSet(args []string) error {
	fs := flag.NewFlagSet("merchant webhook set", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	mid := fs.String("merchant", "", "merchant id")
	u := fs.String("url", "", "https endpoint: added for every event type, or given a new secret if the merchant has it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := handlers.ValidWebhookURL(*u, env("ENV", "development") == "production"); err != nil {
		return err
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, err := db.SetWebhook(context.Background(), *mid, *u)
	if err != nil {
		return fmt.Errorf("merchant %q: %w", *mid, err)
	}
	fmt.Printf("webhook endpoint: %s\nsigning secret: %s\n", *u, secret)
	return nil
}

func linkCmd(args []string) error {
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	path := fs.String("db", env("DB", "data/paybybank.db"), dbUsage)
	public := fs.String("public-url", env("PUBLIC_URL", "http://localhost:8080"), "the server's public origin (PAYBYBANK_PUBLIC_URL)")
	mid := fs.String("merchant", "", "merchant id")
	amount := fs.String("amount", "", "decimal amount, e.g. 249.00")
	currency := fs.String("currency", "", "ISO 4217 currency, e.g. SEK")
	reference := fs.String("reference", "", "reference shown to the shopper and on the statement")
	returnURL := fs.String("return-url", "", "where the shopper goes back to (on the merchant's allowed origins)")
	perVisit := fs.Bool("per-visit", false, "a new payment for every visitor (a counter or donation link) instead of one for the link")
	expiresIn := fs.Duration("expires-in", 0, "how long the link works, e.g. 720h; 0 for ever")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Merchant(context.Background(), *mid)
	if err != nil {
		return fmt.Errorf("merchant %q: %w", *mid, err)
	}
	svc := checkout.New(db, nil, strings.TrimRight(*public, "/"), slog.Default(), nil)
	t := checkout.LinkTerms{Amount: *amount, Currency: *currency, Reference: *reference, ReturnURL: *returnURL, PerVisit: *perVisit}
	if *expiresIn > 0 {
		t.ExpiresAt = time.Now().Add(*expiresIn).Unix()
	}
	l, err := svc.MakeLink(context.Background(), m, t)
	if err != nil {
		return err
	}
	u := strings.TrimRight(*public, "/") + l.URL
	fmt.Printf("%s\nQR code: %s/qr.png\nid: %s\n", u, u, l.ID)
	return nil
}
