package powens

import (
	"paybybank/banks"
	"paybybank/banks/powens/powenstest"
)

// Registration is the Powens provider as the server builds it: its settings, its connector, its
// fake in the sandbox and its PAYMENT_UPDATED webhook.
var Registration = banks.Registration{
	Name: "powens",
	Settings: []banks.Setting{
		{Name: "base-url", Usage: "Powens API, https://{domain}.biapi.pro/2.0"},
		{Name: "client-id", Usage: "Powens client id"},
		{Name: "client-secret", Usage: "Powens client secret"},
	},
	EnabledBy: "client-id",
	Build: func(s banks.Settings, d banks.Deps) (banks.Provider, error) {
		hc, err := banks.HTTPClient("", "", "")
		if err != nil {
			return nil, err
		}
		return New(Config{BaseURL: s["base-url"], ClientID: s["client-id"], ClientSecret: s["client-secret"],
			HTTPClient: hc, Logger: d.Logger, Backoff: d.Backoff, OnCall: d.OnCall}), nil
	},
	Sandbox: func(d banks.SandboxDeps) (*banks.Fake, error) {
		f := powenstest.New(d.ClientID, d.ClientSecret)
		f.RedirectURIs = []string{d.PublicURL + "/callback"}
		return &banks.Fake{Handler: f, Bank: f, Connect: func(selfURL string, dd banks.Deps) (banks.Provider, error) {
			f.WebhookURL = selfURL + "/webhooks/powens" // the fake notifies our server, as Powens would
			hc, _ := banks.HTTPClient("", "", "")
			return New(Config{BaseURL: selfURL + "/sandbox/powens", ClientID: d.ClientID, ClientSecret: d.ClientSecret,
				HTTPClient: hc, Logger: dd.Logger, Backoff: dd.Backoff, OnCall: dd.OnCall}), nil
		}}, nil
	},
	Webhook: Webhook,
}
