package banks

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// A Registration is everything the server needs to know about one provider, as data: the
// settings it reads, when it is on, how to build its connector, how to mount its fake in the
// sandbox and, optionally, how to receive its inbound webhooks. Each provider package exposes one
// (its register.go); app builds the server from the list of them, so a new provider is its
// package plus one line in that list.
type Registration struct {
	// Name is the provider's name: the prefix of its flags and variables, its sandbox path
	// (/sandbox/<name>/) and its webhook path (POST /webhooks/<name>). It equals the connector's
	// Provider.Name.
	Name string
	// Settings are what the provider reads from the configuration.
	Settings []Setting
	// EnabledBy names the setting whose being set turns the real provider on.
	EnabledBy string
	// Build makes the connector from the configured settings.
	Build func(Settings, Deps) (Provider, error)
	// Sandbox, when set, makes the provider's fake bank for the sandbox; it is called once,
	// when the sandbox is built.
	Sandbox func(SandboxDeps) (*Fake, error)
	// Webhook, when set, is the handler of the provider's inbound notices, served at
	// POST /webhooks/<name>.
	Webhook func(WebhookDeps) http.Handler
}

// A Setting is one configuration value of a provider, read from the flag -<provider>-<name> or
// the environment variable PAYBYBANK_<PROVIDER>_<NAME>.
type Setting struct {
	// Name is the setting's part of the flag, e.g. "client-id".
	Name string
	// Default is the value when neither the flag nor the variable is given.
	Default string
	// Usage is the flag's help text; the variable's name is appended to it.
	Usage string
}

// Settings are a provider's configured values by setting name; a missing one reads as "".
type Settings map[string]string

// Flag is the command-line flag of one of the provider's settings.
func (r Registration) Flag(s Setting) string { return r.Name + "-" + s.Name }

// Env is the environment variable of one of the provider's settings.
func (r Registration) Env(s Setting) string {
	return "PAYBYBANK_" + strings.ToUpper(strings.ReplaceAll(r.Flag(s), "-", "_"))
}

// EnvOf is the environment variable of the setting named name.
func (r Registration) EnvOf(name string) string { return r.Env(Setting{Name: name}) }

// Enabled reports whether the settings turn the real provider on.
func (r Registration) Enabled(s Settings) bool { return r.EnabledBy != "" && s[r.EnabledBy] != "" }

// Deps are what every connector is built with.
type Deps struct {
	Logger *slog.Logger
	// Backoff is the connector's first retry wait; zero takes the transport's default (tests
	// make it short).
	Backoff time.Duration
	// OnCall, when set, is told how every bank call went (the operator's metrics).
	OnCall func(CallResult)
}

// SandboxDeps are what a fake bank is made with.
type SandboxDeps struct {
	// PublicURL is where shoppers reach the server; the fake's pages are under
	// PublicURL/sandbox/<name>, and PublicURL/callback is the redirect URI it accepts.
	PublicURL string
	// ClientID and ClientSecret are the sandbox's credentials at every fake.
	ClientID, ClientSecret string
	// SigningCert and SigningKey are the QSealC the sandbox's connectors sign requests with;
	// fakes that check signatures trust it.
	SigningCert *x509.Certificate
	SigningKey  *rsa.PrivateKey
	// Now is the server's clock (never nil). A fake whose behaviour follows the payment's time
	// (Open Payments: its QR codes' age, tokens' expiry, settlement) reads it; fakes that check
	// the Date our connectors send, which is real time, keep real time.
	Now func() time.Time
}

// A Fake is a provider's stand-in bank, mounted by the sandbox under /sandbox/<name>/.
type Fake struct {
	// Handler serves the fake's API and pages, with /sandbox/<name> taken off the path.
	Handler http.Handler
	// Bank is the fake itself, for tests and for the sandbox's own pages to reach.
	Bank any
	// Connect builds the connector against the fake; selfURL is how the server reaches itself
	// (loopback), so the fake's API is at selfURL/sandbox/<name>.
	Connect func(selfURL string, d Deps) (Provider, error)
	// State, when set, is the fake's memory that the sandbox keeps in its state file.
	State Snapshotter
	// Close, when set, stops what the fake runs besides Handler (a listener of its own).
	Close func() error
}

// A Snapshotter is a fake bank whose memory survives a restart of the server, as a real bank's
// does: Snapshot returns it in a form that is equal whenever the memory is, and Restore reads it.
type Snapshotter interface {
	Snapshot() ([]byte, error)
	Restore([]byte) error
}

// WebhookDeps are what a provider's inbound webhook handler is made with.
type WebhookDeps struct {
	Logger *slog.Logger
	// BankUpdated tells checkout that the bank reports a change to the payment it knows by
	// bankPaymentID; checkout then asks the bank for the state. It returns nil for a payment that
	// is not ours, so an error means "try again".
	BankUpdated func(ctx context.Context, bankPaymentID string) error
}

// Check reports the first registration in list that is malformed or whose name repeats, so that a
// mistake in the list fails at start rather than as a missing route or flag.
func Check(list []Registration) error {
	seen := map[string]bool{}
	for _, r := range list {
		switch {
		case r.Name == "":
			return errors.New("banks: a registration has no name")
		case seen[r.Name]:
			return fmt.Errorf("banks: provider %q is registered twice", r.Name)
		case r.Build == nil:
			return fmt.Errorf("banks: provider %q has no Build", r.Name)
		}
		seen[r.Name] = true
		if r.EnabledBy != "" && !r.has(r.EnabledBy) {
			return fmt.Errorf("banks: provider %q is enabled by %q, which is not one of its settings", r.Name, r.EnabledBy)
		}
	}
	return nil
}

func (r Registration) has(name string) bool {
	for _, s := range r.Settings {
		if s.Name == name {
			return true
		}
	}
	return false
}
