package banks

import "context"

// Corporate is the business a payment is made for when the person authorising it acts for a
// company (a merchant paying a refund from its business account), rather than for themselves: the
// Berlin Group's corporate PSU context (PSU-Context: CORPORATE, PSU-Corporate-ID, the
// "paymentinitiation corporate" scope), Powens' payer_identity of kind corporate.
type Corporate struct {
	// Name is the company's name, as its account is held.
	Name string
	// ID is the company's identification at its bank (PSU-Corporate-ID), where the bank mandates
	// one: an organisation number, a corporate agreement id. Empty: not sent.
	ID string
	// IDType is PSU-Corporate-ID-Type, where the bank wants it.
	IDType string
	// Identity is the company's registration (scheme, number, legal form), for banks that want to
	// know who pays (Powens' payer_identity).
	Identity *Identity
}

// Keys a provider puts in Created.Extra for a payment made in the corporate context or through its
// bulk service, so that every later call on the order (SCA, status, cancel) is made the same way.
const (
	ExtraPSUContext  = "psu_context"      // "CORPORATE"
	ExtraCorporateID = "psu_corporate_id" // PSU-Corporate-ID, as sent on the creation
	ExtraService     = "payment_service"  // "bulk-payments"; absent for a single payment
)

// CorporateOrder reports whether an order was created in the corporate PSU context.
func (o Order) CorporateOrder() bool { return o.Extra[ExtraPSUContext] == "CORPORATE" }

// BulkPayment is one payment of a bulk: to one creditor, from the bulk's debtor.
type BulkPayment struct {
	AmountMinor  int64
	Amount       string // decimal string, e.g. "249.00"
	CreditorName string
	Creditor     Account
	Reference    string
}

// BulkRequest asks a bank to create several payments from one account under one authorisation.
type BulkRequest struct {
	BIC       string
	Affiliate string
	Currency  string
	// Debtor is the account every payment is made from; a bulk always names it.
	Debtor    Account
	Payments  []BulkPayment
	Corporate *Corporate
	PSU       PSU
	// BatchBooking asks for one booking of the total on the debtor's statement, rather than one
	// per payment; the bank follows it as its contract with the payer says.
	BatchBooking bool
	// State and RedirectURI are our callback state and /callback, for providers whose SCA
	// redirect is known at creation (Powens).
	State       string
	RedirectURI string
}

// Total is the sum of the bulk's payments, in minor units.
func (r BulkRequest) Total() int64 {
	var n int64
	for _, p := range r.Payments {
		n += p.AmountMinor
	}
	return n
}

// BulkInitiator is implemented by providers whose banks take several payments under one
// authorisation (Open Payments' bulk-payments service, Powens' payments with several
// instructions). The created order is authorised, polled and cancelled through the Provider's
// usual methods; its status is the status of the whole bulk.
type BulkInitiator interface {
	// OffersBulk reports whether the bank (by BIC) takes bulk payments.
	OffersBulk(bic string) bool
	// CreateBulkPayment creates the bulk at the bank.
	CreateBulkPayment(ctx context.Context, req BulkRequest) (*Created, error)
}
