// Package app builds paybybank from its configuration: the providers, the checkout service, the
// HTTP handlers and the webhook dispatcher. main.go, the tests and the benchmarks all build it here.
package app

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"paybybank/banks"
	"paybybank/banks/bankid"
	"paybybank/banks/openpayments"
	"paybybank/banks/paysera"
	"paybybank/banks/powens"
	"paybybank/banks/sandbox"
	"paybybank/banks/sbm"
	"paybybank/banks/sibs"
	"paybybank/checkout"
	"paybybank/handlers"
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
	OpenPayments   struct{ ClientID, ClientSecret, AuthURL, APIURL, CertFile, KeyFile, CAFile, Countries string }
	Powens         struct{ BaseURL, ClientID, ClientSecret string }
	// SBM: "BIC=Name=https://base-url" entries separated by ";", and the QSealC that signs requests.
	SBM struct{ Banks, CertFile, KeyFile string }
	// SIBS: the API Market gateway, its x-ibm-client-id, and the QSealC that signs requests.
	SIBS struct{ BaseURL, ClientID, CertFile, KeyFile string }
	// Paysera: the API (mutual TLS with the QWAC in CertFile/KeyFile, CAFile) and the OAuth page.
	Paysera struct{ ClientID, APIURL, AuthorizeURL, CertFile, KeyFile, CAFile string }
	// SelfURL is how the server reaches itself (its sandbox): loopback, whatever PUBLIC_URL says.
	SelfURL string
	// BankBackoff is the connectors' first retry wait (tests make it short).
	BankBackoff time.Duration
	// ReuseSandbox keeps a fake bank across a rebuild, as a real bank outlives our restarts (tests).
	ReuseSandbox *sandbox.Sandbox
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

// Build wires the providers, the checkout service and the HTTP handlers. selfURL is how the
// server reaches its own sandbox (loopback), which may differ from PUBLIC_URL.
func Build(c *Config, db *store.DB, key []byte, logger *slog.Logger) (*App, error) {
	var providers []banks.Provider
	var sb *sandbox.Sandbox
	appURL := bankid.DefaultAppURL
	if c.OpenPayments.ClientID != "" {
		hc, err := HTTPClient(c.OpenPayments.CertFile, c.OpenPayments.KeyFile, c.OpenPayments.CAFile)
		if err != nil {
			return nil, err
		}
		providers = append(providers, openpayments.New(openpayments.Config{ClientID: c.OpenPayments.ClientID, ClientSecret: c.OpenPayments.ClientSecret,
			AuthURL: c.OpenPayments.AuthURL, APIURL: c.OpenPayments.APIURL, Countries: strings.FieldsFunc(c.OpenPayments.Countries, func(r rune) bool { return r == ',' || r == ' ' }), HTTPClient: hc, Logger: logger}))
	}
	if c.Powens.ClientID != "" {
		hc, _ := HTTPClient("", "", "")
		providers = append(providers, powens.New(powens.Config{BaseURL: c.Powens.BaseURL, ClientID: c.Powens.ClientID,
			ClientSecret: c.Powens.ClientSecret, HTTPClient: hc, Logger: logger}))
	}
	if c.Paysera.ClientID != "" {
		hc, err := HTTPClient(c.Paysera.CertFile, c.Paysera.KeyFile, c.Paysera.CAFile)
		if err != nil {
			return nil, err
		}
		providers = append(providers, paysera.New(paysera.Config{APIURL: c.Paysera.APIURL, AuthorizeURL: c.Paysera.AuthorizeURL,
			ClientID: c.Paysera.ClientID, HTTPClient: hc, Logger: logger}))
	}
	if c.SIBS.ClientID != "" {
		cert, key, err := signingPair(c.SIBS.CertFile, c.SIBS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("PAYBYBANK_SIBS_CERT_FILE/KEY_FILE: %w", err)
		}
		hc, _ := HTTPClient("", "", "")
		providers = append(providers, sibs.New(sibs.Config{BaseURL: c.SIBS.BaseURL, ClientID: c.SIBS.ClientID, Cert: cert, Key: key, HTTPClient: hc, Logger: logger}))
	}
	if c.SBM.Banks != "" {
		p, err := sbmProvider(c, logger)
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	if c.Sandbox {
		sb = c.ReuseSandbox
		if sb == nil {
			sb = sandbox.New(c.PublicURL)
			if c.DB != "" && !store.IsPostgres(c.DB) { // several servers: each its own fake bank
				sb.StateFile = filepath.Join(filepath.Dir(c.DB), "sandbox-banks.json")
				if err := sb.Load(); err != nil {
					return nil, fmt.Errorf("sandbox state: %w", err)
				}
			}
		}
		hc, _ := HTTPClient("", "", "")
		base := c.SelfURL + "/sandbox/openpayments"
		if c.OpenPayments.ClientID == "" {
			providers = append(providers, openpayments.New(openpayments.Config{ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret,
				AuthURL: base, APIURL: base, HTTPClient: hc, Logger: logger, Backoff: c.BankBackoff}))
			appURL = sb.BankIDAppURL()
		}
		if c.Paysera.ClientID == "" && sb.Paysera != nil {
			providers = append(providers, paysera.New(paysera.Config{APIURL: sb.PayseraAPIURL, AuthorizeURL: c.PublicURL + "/sandbox/paysera/oauth/authorize",
				ClientID: sandbox.ClientID, HTTPClient: sb.PayseraClient, Logger: logger, Backoff: c.BankBackoff}))
		}
		if c.SIBS.ClientID == "" {
			providers = append(providers, sibs.New(sibs.Config{BaseURL: c.SelfURL + "/sandbox/sibs", ClientID: sandbox.ClientID,
				Cert: sb.SBMCert, Key: sb.SBMKey, HTTPClient: hc, Logger: logger, Backoff: c.BankBackoff}))
		}
		if c.SBM.Banks == "" {
			var list []sbm.Bank
			for _, b := range sandbox.SBMBanks {
				list = append(list, sbm.Bank{BIC: b.BIC, Name: b.Name, BaseURL: c.SelfURL + "/sandbox/sbm/" + b.Slug})
			}
			providers = append(providers, sbm.New(sbm.Config{Banks: list, Cert: sb.SBMCert, Key: sb.SBMKey, HTTPClient: hc,
				Logger: logger, Backoff: c.BankBackoff}))
		}
		if c.Powens.ClientID == "" {
			sb.Powens.WebhookURL = c.SelfURL + "/webhooks/powens"
			providers = append(providers, powens.New(powens.Config{BaseURL: c.SelfURL + "/sandbox/powens", ClientID: sandbox.ClientID,
				ClientSecret: sandbox.ClientSecret, HTTPClient: hc, Logger: logger, Backoff: c.BankBackoff}))
		}
	}
	if len(providers) == 0 {
		return nil, errors.New("no bank provider configured: set PAYBYBANK_OPENPAYMENTS_CLIENT_ID or PAYBYBANK_POWENS_CLIENT_ID, or turn on the sandbox")
	}

	svc := checkout.New(db, providers, c.PublicURL, logger)
	if db.Postgres() {
		svc.Cluster = db // several servers may share it: background work and bank polls under leases
	}
	sess := store.NewSessionStore(db, key, strings.HasPrefix(c.PublicURL, "https://"))
	var sbHandler http.Handler
	if sb != nil {
		sbHandler = sb
	}
	h := handlers.New(handlers.Config{PublicURL: c.PublicURL, BankIDAppURL: appURL, Sandbox: c.Sandbox, RateLimit: c.RateLimit, TrustedProxies: c.TrustedProxies,
		Production: c.Env == "production"},
		db, svc, sess, logger, sbHandler, prometheus.NewRegistry())

	whClient := &http.Client{Timeout: 10 * time.Second}
	if c.Env == "production" {
		whClient = webhooks.PublicOnlyClient(10 * time.Second) // merchants' endpoints, never our network
	}
	wh := &webhooks.Dispatcher{Store: db, Logger: logger, Client: whClient}
	return &App{Handler: h.Handler(), Metrics: metricsMux(h.MetricsHandler()), Checkout: svc, Sandbox: sb, Webhooks: wh, EndStreams: h.EndStreams}, nil
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

// HTTPClient is an outbound client with time-outs and, when given, a client certificate and CA bundle.
func HTTPClient(certFile, keyFile, caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 15 * time.Second
	// A bank's API is one host, polled for every shopper waiting on it: keep enough connections
	// open to it (Go's default keeps 2), or each poll pays a new TCP and TLS handshake.
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 256
	if certFile != "" || caFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if certFile != "" {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("no certificates in %s", caFile)
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: tr}, nil
}

// sbmProvider builds the Sparebanken Møre connector from configuration.
func sbmProvider(c *Config, logger *slog.Logger) (banks.Provider, error) {
	var list []sbm.Bank
	for _, entry := range strings.Split(c.SBM.Banks, ";") {
		parts := strings.SplitN(strings.TrimSpace(entry), "=", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("PAYBYBANK_SBM_BANKS: %q is not BIC=Name=URL", entry)
		}
		list = append(list, sbm.Bank{BIC: parts[0], Name: parts[1], BaseURL: parts[2]})
	}
	cert, key, err := signingPair(c.SBM.CertFile, c.SBM.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("PAYBYBANK_SBM_CERT_FILE/KEY_FILE: %w", err)
	}
	hc, err := HTTPClient(c.SBM.CertFile, c.SBM.KeyFile, "")
	if err != nil {
		return nil, err
	}
	return sbm.New(sbm.Config{Banks: list, Cert: cert, Key: key, HTTPClient: hc, Logger: logger}), nil
}

// signingPair loads a QSealC and its RSA key (rsa-sha256 HTTP Signatures need RSA).
func signingPair(certFile, keyFile string) (*x509.Certificate, *rsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("an RSA key is required (rsa-sha256)")
	}
	return cert, key, nil
}
