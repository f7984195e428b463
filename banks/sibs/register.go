package sibs

import (
	"fmt"

	"paybybank/banks"
	"paybybank/banks/sibs/sibstest"
)

// Registration is the SIBS API Market provider as the server builds it: its settings, its
// connector and its fake in the sandbox.
var Registration = banks.Registration{
	Name: "sibs",
	Settings: []banks.Setting{
		{Name: "base-url", Usage: "SIBS API Market gateway"},
		{Name: "client-id", Usage: "x-ibm-client-id"},
		{Name: "cert-file", Usage: "QSealC for request signatures, PEM"},
		{Name: "key-file", Usage: "its RSA key, PEM"},
	},
	EnabledBy: "client-id",
	Build: func(s banks.Settings, d banks.Deps) (banks.Provider, error) {
		cert, key, err := banks.SigningPair(s["cert-file"], s["key-file"])
		if err != nil {
			return nil, fmt.Errorf("PAYBYBANK_SIBS_CERT_FILE/KEY_FILE: %w", err)
		}
		hc, err := banks.HTTPClient("", "", "")
		if err != nil {
			return nil, err
		}
		return New(Config{BaseURL: s["base-url"], ClientID: s["client-id"], Cert: cert, Key: key, HTTPClient: hc,
			Logger: d.Logger, Backoff: d.Backoff, OnCall: d.OnCall}), nil
	},
	Sandbox: func(d banks.SandboxDeps) (*banks.Fake, error) {
		f := sibstest.New(d.ClientID)
		f.PageURL = d.PublicURL + "/sandbox/sibs"
		f.Trust(d.SigningCert)
		return &banks.Fake{Handler: f, Bank: f, Connect: func(selfURL string, dd banks.Deps) (banks.Provider, error) {
			hc, _ := banks.HTTPClient("", "", "")
			return New(Config{BaseURL: selfURL + "/sandbox/sibs", ClientID: d.ClientID, Cert: d.SigningCert, Key: d.SigningKey,
				HTTPClient: hc, Logger: dd.Logger, Backoff: dd.Backoff, OnCall: dd.OnCall}), nil
		}}, nil
	},
}
