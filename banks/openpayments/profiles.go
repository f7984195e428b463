package openpayments

import "paybybank/banks/openpayments/profiles"

// Profile holds what one bank behind the platform insists on (see package profiles, where the
// data lives so that the fake in openpaymentstest reads it without importing the connector).
type Profile = profiles.Profile

// Affiliate is a savings bank behind another bank's BIC.
type Affiliate = profiles.Affiliate

// ProfileFor returns the profile of a bank; banks not listed get the platform's defaults.
func ProfileFor(bic string) Profile { return profiles.For(bic) }

// Profiles returns every bank's profile by BIC.
func Profiles() map[string]Profile { return profiles.All() }
