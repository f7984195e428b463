package payment

import "time"

// Link is a payment link as the merchant sees it: its terms, its life, and its use. The link's
// URL carries the same terms signed; this record lets it be listed and deactivated.
type Link struct {
	ID            string    `json:"id"`
	MerchantID    string    `json:"-"`
	Nonce         string    `json:"-"`
	URL           string    `json:"url,omitempty"`
	Amount        string    `json:"amount"`
	Currency      string    `json:"currency"`
	Reference     string    `json:"reference"`
	ReturnURL     string    `json:"return_url,omitempty"`
	PerVisit      bool      `json:"per_visit"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at,omitzero"`
	DeactivatedAt time.Time `json:"deactivated_at,omitzero"`
	Use           LinkUse   `json:"use"`
}

// LinkUse counts the payments a link created, by where they stand.
type LinkUse struct {
	Payments int `json:"payments"`
	Paid     int `json:"paid"`
	Open     int `json:"open"`
	// Closed are the payments that ended unpaid: failed, cancelled or expired.
	Closed int `json:"closed"`
}

// Link states, as State reports them.
const (
	LinkActive      = "active"
	LinkPaid        = "paid"
	LinkExpired     = "expired"
	LinkDeactivated = "deactivated"
)

// State is where the link stands at now: deactivated, expired, paid (a once-per-link link whose
// payment completed: it only shows that payment now), or active.
func (l *Link) State(now time.Time) string {
	switch {
	case !l.DeactivatedAt.IsZero():
		return LinkDeactivated
	case !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt):
		return LinkExpired
	case !l.PerVisit && l.Use.Paid > 0:
		return LinkPaid
	}
	return LinkActive
}
