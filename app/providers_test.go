package app

import (
	"strings"
	"testing"

	"paybybank/banks"
)

// TestProviders checks the list as the server reads it: well formed, every provider named in the
// "no provider" message, and a fake for each in the sandbox.
func TestProviders(t *testing.T) {
	if err := banks.Check(Providers); err != nil {
		t.Fatal(err)
	}
	msg := NoProviderMessage(Providers)
	for _, r := range Providers {
		t.Run(r.Name, func(t *testing.T) {
			if !strings.Contains(msg, r.EnvOf(r.EnabledBy)) {
				t.Errorf("%q does not name %s", msg, r.EnvOf(r.EnabledBy))
			}
			if r.Sandbox == nil {
				t.Errorf("no fake for the sandbox")
			}
		})
	}
}
