package sbm

import (
	"fmt"
	"net/http"
	"strings"

	"paybybank/banks"
	"paybybank/banks/sbm/sbmtest"
)

// Registration is the Sparebanken Møre platform as the server builds it: its settings, its
// connector and, in the sandbox, one fake per bank of SandboxBanks.
var Registration = banks.Registration{
	Name: "sbm",
	Settings: []banks.Setting{
		{Name: "banks", Usage: "Sparebanken Møre platform banks: BIC=Name=https://base-url;…"},
		{Name: "cert-file", Usage: "QSealC/QWAC certificate, PEM"},
		{Name: "key-file", Usage: "its RSA key, PEM"},
	},
	EnabledBy: "banks",
	Build:     build,
	Sandbox:   sandbox,
}

// SandboxBanks are the sandbox's banks on the platform, each a fake under /sandbox/sbm/<Slug>.
var SandboxBanks = []struct{ Slug, BIC, Name string }{
	{"more", "SPMONO22", "Sparebanken Møre"},
	{"sunnmore", "SOSUNO22", "Søre Sunnmøre Sparebank"},
}

func build(s banks.Settings, d banks.Deps) (banks.Provider, error) {
	var list []Bank
	for _, entry := range strings.Split(s["banks"], ";") {
		parts := strings.SplitN(strings.TrimSpace(entry), "=", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("PAYBYBANK_SBM_BANKS: %q is not BIC=Name=URL", entry)
		}
		list = append(list, Bank{BIC: parts[0], Name: parts[1], BaseURL: parts[2]})
	}
	cert, key, err := banks.SigningPair(s["cert-file"], s["key-file"])
	if err != nil {
		return nil, fmt.Errorf("PAYBYBANK_SBM_CERT_FILE/KEY_FILE: %w", err)
	}
	hc, err := banks.HTTPClient(s["cert-file"], s["key-file"], "")
	if err != nil {
		return nil, err
	}
	return New(Config{Banks: list, Cert: cert, Key: key, HTTPClient: hc, Logger: d.Logger, Backoff: d.Backoff, OnCall: d.OnCall}), nil
}

// sandbox mounts one fake per bank; Bank is the fakes by slug.
func sandbox(d banks.SandboxDeps) (*banks.Fake, error) {
	fakes := map[string]*sbmtest.Fake{}
	mux := http.NewServeMux()
	for _, b := range SandboxBanks {
		f := sbmtest.New(b.Name)
		f.BaseURL = d.PublicURL + "/sandbox/sbm/" + b.Slug
		f.Trust(d.SigningCert)
		fakes[b.Slug] = f
		mux.Handle("/"+b.Slug+"/", http.StripPrefix("/"+b.Slug, f))
	}
	connect := func(selfURL string, dd banks.Deps) (banks.Provider, error) {
		var list []Bank
		for _, b := range SandboxBanks {
			list = append(list, Bank{BIC: b.BIC, Name: b.Name, BaseURL: selfURL + "/sandbox/sbm/" + b.Slug})
		}
		hc, _ := banks.HTTPClient("", "", "")
		return New(Config{Banks: list, Cert: d.SigningCert, Key: d.SigningKey, HTTPClient: hc, Logger: dd.Logger, Backoff: dd.Backoff, OnCall: dd.OnCall}), nil
	}
	return &banks.Fake{Handler: mux, Bank: fakes, Connect: connect}, nil
}
