package openpayments

import (
	"strings"

	"paybybank/banks"
	"paybybank/banks/openpayments/openpaymentstest"
)

// Registration is the Open Payments provider as the server builds it: its settings, its
// connector and its fake in the sandbox (whose BankID orders the sandbox's simulated app signs).
var Registration = banks.Registration{
	Name: "openpayments",
	Settings: []banks.Setting{
		{Name: "client-id", Usage: "Open Payments client id"},
		{Name: "client-secret", Usage: "Open Payments client secret"},
		{Name: "auth-url", Default: "https://auth.openbankingplatform.com", Usage: "Open Payments auth host"},
		{Name: "api-url", Default: "https://api.openbankingplatform.com", Usage: "Open Payments API host"},
		{Name: "cert-file", Usage: "client certificate for mutual TLS"},
		{Name: "key-file", Usage: "client certificate key"},
		{Name: "ca-file", Usage: "CA bundle for the platform"},
		{Name: "countries", Default: "SE,FI,NO,DK", Usage: "countries whose banks to offer"},
	},
	EnabledBy: "client-id",
	Build: func(s banks.Settings, d banks.Deps) (banks.Provider, error) {
		hc, err := banks.HTTPClient(s["cert-file"], s["key-file"], s["ca-file"])
		if err != nil {
			return nil, err
		}
		countries := strings.FieldsFunc(s["countries"], func(r rune) bool { return r == ',' || r == ' ' })
		return New(Config{ClientID: s["client-id"], ClientSecret: s["client-secret"], AuthURL: s["auth-url"], APIURL: s["api-url"],
			Countries: countries, HTTPClient: hc, Logger: d.Logger, Backoff: d.Backoff, OnCall: d.OnCall}), nil
	},
	Sandbox: func(d banks.SandboxDeps) (*banks.Fake, error) {
		f := openpaymentstest.New(d.ClientID, d.ClientSecret, nil)
		if d.Now != nil {
			f.Now = d.Now
		}
		f.BaseURL = d.PublicURL + "/sandbox/openpayments"
		f.RedirectURIs = []string{d.PublicURL + "/callback"}
		return &banks.Fake{Handler: f, Bank: f, State: f, Connect: func(selfURL string, dd banks.Deps) (banks.Provider, error) {
			hc, _ := banks.HTTPClient("", "", "")
			base := selfURL + "/sandbox/openpayments"
			return New(Config{ClientID: d.ClientID, ClientSecret: d.ClientSecret, AuthURL: base, APIURL: base,
				HTTPClient: hc, Logger: dd.Logger, Backoff: dd.Backoff, OnCall: dd.OnCall}), nil
		}}, nil
	},
}
