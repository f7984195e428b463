package openpayments

// Profile holds what one bank behind the platform insists on. The rules come from the
// platform's per-bank notes (protocols/openpayments.md, "Bank rules"); a new bank is a new row.
type Profile struct {
	// CreditorFormat and DebtorFormat name the account shape: "iban", "bban" or "bban+clearing".
	CreditorFormat string
	DebtorFormat   string
	// RequireUserAgent: the bank rejects a create without PSU-User-Agent.
	RequireUserAgent bool
	// PreferDecoupled sends TPP-Redirect-Preferred: false on every call of a payment.
	PreferDecoupled bool
}

// profiles is keyed by BIC; banks not listed use defaultProfile.
var profiles = map[string]Profile{
	"HANDSESS": {CreditorFormat: "bban+clearing", DebtorFormat: "bban"},
	"NDEASESS": {CreditorFormat: "iban", DebtorFormat: "bban"},
	"SWEDSESS": {CreditorFormat: "iban", DebtorFormat: "iban", RequireUserAgent: true, PreferDecoupled: true},
}

var defaultProfile = Profile{CreditorFormat: "iban", DebtorFormat: "iban"}

// ProfileFor returns the profile of a bank.
func ProfileFor(bic string) Profile {
	if p, ok := profiles[bic]; ok {
		return p
	}
	return defaultProfile
}
