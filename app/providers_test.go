package app

import (
	"os"
	"strings"
	"testing"

	"paybybank/banks"
)

// TestProviders checks the list as the server reads it: well formed, every setting's flag in the
// README's configuration table, and every provider named in the "no provider" message.
func TestProviders(t *testing.T) {
	if err := banks.Check(Providers); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	msg := NoProviderMessage(Providers)
	for _, r := range Providers {
		t.Run(r.Name, func(t *testing.T) {
			for _, s := range r.Settings {
				if flag := "`--" + r.Flag(s) + "`"; !strings.Contains(string(readme), flag) {
					t.Errorf("README's configuration table lacks %s", flag)
				}
			}
			if !strings.Contains(msg, r.EnvOf(r.EnabledBy)) {
				t.Errorf("%q does not name %s", msg, r.EnvOf(r.EnabledBy))
			}
			if r.Sandbox == nil {
				t.Errorf("no fake for the sandbox")
			}
		})
	}
}
