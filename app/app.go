// Package app builds paybybank from its configuration: the providers, the checkout service, the
// HTTP handlers and the webhook dispatcher. main.go, the tests and the benchmarks all build it here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"paybybank/banks"
	"paybybank/banks/bankid"
	"paybybank/banks/sandbox"
	"paybybank/checkout"
	"paybybank/handlers"
	"paybybank/payment"
	"paybybank/store"
	"paybybank/webhooks"
)

// Config is the server's configuration, from flags and PAYBYBANK_ variables (see main.go).
type Config struct {
	Addr, PublicURL, DB, Env string
	// MetricsAddr is the operator's listener for /metrics (loopback by default; empty: none).
	MetricsAddr string
	Sandbox     bool
	RateLimit   float64
	// TrustedProxies: the proxies whose X-Forwarded-For names the shopper (handlers.ParseTrustedProxies).
	TrustedProxies []netip.Prefix
	// Providers are each provider's settings by its name (see Providers for what each reads); a
	// provider whose settings turn it on is built for real, any other is served by the sandbox.
	Providers map[string]banks.Settings
	// SelfURL is how the server reaches itself (its sandbox): loopback, whatever PUBLIC_URL says.
	SelfURL string
	// BankBackoff is the connectors' first retry wait (tests make it short).
	BankBackoff time.Duration
	// ReuseSandbox keeps a fake bank across a rebuild, as a real bank outlives our restarts (tests).
	ReuseSandbox *sandbox.Sandbox
	// Now is the one clock payments, attempts, deliveries and the sandbox's banks are timed by
	// (nil: time.Now). The store is made with the same (store.NewDB(c.DB, c.Now)); tests pass a
	// fake one here and there, and never set a clock after the build.
	Now func() time.Time
}

// App is everything the server runs, built from the configuration; tests and benchmarks build it
// the same way.
type App struct {
	Handler http.Handler
	// Metrics serves /metrics; main.go puts it on its own listener, never the public one.
	Metrics  http.Handler
	Checkout *checkout.Service
	Sandbox  *sandbox.Sandbox
	Webhooks *webhooks.Dispatcher
	// EndStreams ends the checkout pages' event streams; call it when shutting down.
	EndStreams func()
}

// Build wires the providers, the checkout service and the HTTP handlers. Each provider of
// Providers is built for real when its settings turn it on, or else against its fake when the
// sandbox is on.
func Build(c *Config, db *store.DB, key []byte, logger *slog.Logger) (*App, error) {
	if err := banks.Check(Providers); err != nil {
		return nil, err
	}
	var sb *sandbox.Sandbox
	built := false
	if c.Sandbox {
		sb = c.ReuseSandbox
		if sb == nil {
			defer func() {
				if !built && sb != nil {
					sb.Close() // stop the fakes' own listeners if the build fails
				}
			}()
			var stateFile string
			if c.DB != "" && !store.IsPostgres(c.DB) { // several servers: each its own fake bank
				stateFile = filepath.Join(filepath.Dir(c.DB), "sandbox-banks.json")
			}
			var err error
			if sb, err = sandbox.New(sandbox.Config{PublicURL: c.PublicURL, Providers: Providers, StateFile: stateFile, Logger: logger, Now: c.Now}); err != nil {
				return nil, err
			}
		}
	}
	var providers []banks.Provider
	appURL := bankid.DefaultAppURL
	bm := newBusinessMetrics(db, logger)
	deps := banks.Deps{Logger: logger, Backoff: c.BankBackoff, OnCall: bm.observe}
	for _, r := range Providers {
		if settings := c.Providers[r.Name]; r.Enabled(settings) {
			p, err := r.Build(settings, deps)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", r.Name, err)
			}
			providers = append(providers, p)
			continue
		}
		if sb == nil {
			continue
		}
		p, ok, err := sb.Connect(r.Name, c.SelfURL, deps)
		if err != nil {
			return nil, fmt.Errorf("sandbox provider %s: %w", r.Name, err)
		}
		if ok {
			providers = append(providers, p)
			if sb.SignsBankID(r.Name) {
				appURL = sb.BankIDAppURL()
			}
		}
	}
	if len(providers) == 0 {
		return nil, errors.New(NoProviderMessage(Providers))
	}

	svc := checkout.New(db, providers, c.PublicURL, logger, c.Now)
	svc.Refunds = db // refund orders: the merchant's bank pays refunds through the checkout
	if db.Postgres() {
		svc.Cluster = db // several servers may share it: background work and bank polls under leases
	}
	sess := store.NewSessionStore(db, key, strings.HasPrefix(c.PublicURL, "https://"))
	var sbHandler http.Handler
	if sb != nil {
		sbHandler = sb
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(bm)
	h := handlers.New(handlers.Config{PublicURL: c.PublicURL, BankIDAppURL: appURL, Sandbox: c.Sandbox, RateLimit: c.RateLimit, TrustedProxies: c.TrustedProxies,
		Production: c.Env == "production", ProviderWebhooks: providerWebhooks(Providers, svc, logger)},
		db, svc, sess, logger, sbHandler, reg)

	whClient := &http.Client{Timeout: 10 * time.Second}
	if c.Env == "production" {
		whClient = webhooks.PublicOnlyClient(10 * time.Second) // merchants' endpoints, never our network
	}
	wh := webhooks.New(db, whClient, logger, c.Now)
	built = true
	return &App{Handler: h.Handler(), Metrics: metricsMux(h.MetricsHandler()), Checkout: svc, Sandbox: sb, Webhooks: wh, EndStreams: h.EndStreams}, nil
}

// NoProviderMessage says what to set when no provider is on, naming every registered one.
func NoProviderMessage(list []banks.Registration) string {
	var vars []string
	for _, r := range list {
		if r.EnabledBy != "" {
			vars = append(vars, r.EnvOf(r.EnabledBy))
		}
	}
	return "no bank provider configured: set one of " + strings.Join(vars, ", ") + ", or turn on the sandbox"
}

// providerWebhooks makes the inbound webhook handler of each provider that has one, by name; the
// route table serves each at POST /webhooks/<name>. A notice is the bank telling us a payment
// changed: checkout asks the bank, so a payment that is not ours is no error.
func providerWebhooks(list []banks.Registration, svc *checkout.Service, logger *slog.Logger) map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, r := range list {
		if r.Webhook == nil {
			continue
		}
		name := r.Name
		out[name] = r.Webhook(banks.WebhookDeps{Logger: logger, BankUpdated: func(ctx context.Context, bankPaymentID string) error {
			if _, err := svc.BankUpdated(ctx, name, bankPaymentID); err != nil && !errors.Is(err, payment.ErrNotFound) {
				return err
			}
			return nil
		}})
	}
	return out
}

// metricsMux answers GET /metrics and 404 for anything else on the metrics listener.
func metricsMux(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	return mux
}

// LoopbackURL is how the server reaches its own sandbox: over loopback, whatever PUBLIC_URL says.
func LoopbackURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
