package payment

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Merchant is a shop that takes payments through paybybank.
type Merchant struct {
	ID             string
	Name           string
	AllowedOrigins []string // scheme://host[:port] the merchant may send shoppers back to
	Creditor       Creditor // the default account payments go to
	SigningSecret  string   // signs return URLs and webhooks; shown to the merchant once
	CreatedAt      time.Time
	// Branding shown on the checkout.
	DisplayName string // defaults to Name
	Accent      string // #rrggbb; the checkout darkens it where needed to keep WCAG AA contrast
	HasLogo     bool
	// Identity is the merchant's company registration, which some banks require (Powens); nil
	// when none was set.
	Identity *Identity
}

// Identity is a company's registration: the register's scheme ("siren"), the number there, and
// the company's legal form ("SAS").
type Identity struct {
	Scheme      string `json:"scheme"`
	ID          string `json:"id"`
	LegalStatus string `json:"legal_status"`
}

// Check says what is wrong with an identity, or nil: every part is needed, the scheme is a
// lower-case name, and a SIREN has nine digits.
func (id Identity) Check() error {
	switch {
	case id.Scheme == "" || id.ID == "" || id.LegalStatus == "":
		return errors.New("identity: scheme, id and legal status are all needed")
	case strings.ToLower(id.Scheme) != id.Scheme || strings.ContainsAny(id.Scheme, " \t"):
		return fmt.Errorf("identity: scheme %q must be a lower-case name, such as siren", id.Scheme)
	case id.Scheme == "siren" && !nineDigits(id.ID):
		return fmt.Errorf("identity: a SIREN has nine digits, not %q", id.ID)
	case len(id.ID) > 35 || len(id.LegalStatus) > 35:
		return errors.New("identity: id and legal status have at most 35 characters")
	}
	return nil
}

func nineDigits(s string) bool {
	if len(s) != 9 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ShownName is the name shoppers see.
func (m *Merchant) ShownName() string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.Name
}

// AllowsReturnURL reports whether raw is an absolute http(s) URL on one of the merchant's origins.
// Only such URLs are ever redirected to, which rules out open redirects.
func (m *Merchant) AllowsReturnURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return false
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, o := range m.AllowedOrigins {
		if strings.ToLower(strings.TrimRight(o, "/")) == origin {
			return true
		}
	}
	return false
}
