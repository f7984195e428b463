package paysera

import (
	"fmt"

	"paybybank/banks"
	"paybybank/banks/paysera/payseratest"
)

// Registration is the Paysera provider as the server builds it: its settings, its connector and
// its fake in the sandbox, whose API runs on a mutual-TLS listener of its own.
var Registration = banks.Registration{
	Name: "paysera",
	Settings: []banks.Setting{
		{Name: "client-id", Usage: "Paysera OAuth client id"},
		{Name: "api-url", Default: "https://open-banking-api.paysera.com/xs2a/berlin/1.3", Usage: "Paysera API"},
		{Name: "authorize-url", Default: "https://open-banking-api.paysera.com/xs2a/berlin/1.3/oauth/authorize", Usage: "Paysera OAuth authorize page"},
		{Name: "cert-file", Usage: "QWAC client certificate, PEM"},
		{Name: "key-file", Usage: "its key, PEM"},
		{Name: "ca-file", Usage: "CA bundle for Paysera"},
	},
	EnabledBy: "client-id",
	Build: func(s banks.Settings, d banks.Deps) (banks.Provider, error) {
		hc, err := banks.HTTPClient(s["cert-file"], s["key-file"], s["ca-file"])
		if err != nil {
			return nil, err
		}
		return New(Config{APIURL: s["api-url"], AuthorizeURL: s["authorize-url"], ClientID: s["client-id"],
			HTTPClient: hc, Logger: d.Logger, Backoff: d.Backoff, OnCall: d.OnCall}), nil
	},
	Sandbox: func(d banks.SandboxDeps) (*banks.Fake, error) {
		f := payseratest.New(d.ClientID)
		f.PageURL = d.PublicURL + "/sandbox/paysera"
		f.RedirectURIs = []string{d.PublicURL + "/callback"}
		api, err := StartSandboxAPI(f)
		if err != nil {
			return nil, fmt.Errorf("paysera sandbox API: %w", err)
		}
		authorize := d.PublicURL + "/sandbox/paysera/oauth/authorize"
		return &banks.Fake{Handler: f.PageHandler(), Bank: f, Close: api.Close, Connect: func(_ string, dd banks.Deps) (banks.Provider, error) {
			return New(Config{APIURL: api.URL, AuthorizeURL: authorize, ClientID: d.ClientID, HTTPClient: api.Client,
				Logger: dd.Logger, Backoff: dd.Backoff, OnCall: dd.OnCall}), nil
		}}, nil
	},
}
