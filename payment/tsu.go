package payment

import "regexp"

// TSU is a Portuguese social-security contribution paid through SIBS' tsu-payments service.
type TSU struct {
	SocialSecurityAccountCode string `json:"social_security_account_code"`
	TaxpayerID                string `json:"taxpayer_identification_number"`
	ReferencePeriod           string `json:"reference_period"`
}

var (
	tsuNIF    = regexp.MustCompile(`^[0-9]{1,12}$`)
	tsuPeriod = regexp.MustCompile(`^\d{4}(0[1-9]|1[0-2])$`)
)

// Validate checks the fields against SIBS' patterns and names the first wrong one.
func (t *TSU) Validate() error {
	switch {
	case t.SocialSecurityAccountCode != "SSMN" && t.SocialSecurityAccountCode != "SSMD" && t.SocialSecurityAccountCode != "SSAZ":
		return &FieldError{Field: "tsu.social_security_account_code", Message: "must be SSMN (mainland), SSMD (Madeira) or SSAZ (Azores)"}
	case !tsuNIF.MatchString(t.TaxpayerID):
		return &FieldError{Field: "tsu.taxpayer_identification_number", Message: "must be up to 12 digits"}
	case !tsuPeriod.MatchString(t.ReferencePeriod):
		return &FieldError{Field: "tsu.reference_period", Message: "must be YYYYMM, e.g. 202611"}
	}
	return nil
}
