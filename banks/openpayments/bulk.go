package openpayments

import (
	"context"
	"fmt"

	"paybybank/banks"
)

// ServiceBulk is the payment service of several payments under one authorisation (yaml
// components.parameters.paymentService: payments, bulk-payments, periodic-payments).
const ServiceBulk = "bulk-payments"

var _ banks.BulkInitiator = (*Client)(nil)

// BulkPaymentInitiation is the body of POST /paymentinitiation/v1/bulk-payments/{product} (yaml
// schema bulkPaymentInitiation_json): the debtor's account once, and the payments.
type BulkPaymentInitiation struct {
	BatchBookingPreferred *bool              `json:"batchBookingPreferred,omitempty"`
	DebtorAccount         AccountReference   `json:"debtorAccount"`
	Payments              []BulkPaymentEntry `json:"payments"`
}

// BulkPaymentEntry is one payment of a bulk (yaml schema paymentInitiationBulkElement_json): a
// single payment's body without debtorAccount, requestedExecutionDate and requestedExecutionTime,
// which "may not be contained in any bulk entry".
type BulkPaymentEntry struct {
	InstructedAmount                  Amount           `json:"instructedAmount"`
	CreditorName                      string           `json:"creditorName"`
	CreditorAccount                   AccountReference `json:"creditorAccount"`
	RemittanceInformationUnstructured string           `json:"remittanceInformationUnstructured,omitempty"`
}

// OffersBulk reports whether the bank takes the bulk-payments service (its profile).
func (c *Client) OffersBulk(bic string) bool { return ProfileFor(bic).OffersService(ServiceBulk) }

// CreateBulkPayment creates several payments from one account under one authorisation, with the
// bank's account formats. Its order is then authorised and followed like a single payment's, under
// the bulk-payments service (banks.ExtraService).
func (c *Client) CreateBulkPayment(ctx context.Context, req banks.BulkRequest) (*banks.Created, error) {
	prof := ProfileFor(req.BIC)
	if !prof.OffersService(ServiceBulk) {
		return nil, &banks.Error{Status: 400, Code: "SERVICE_INVALID", Message: req.BIC + " does not take bulk payments"}
	}
	if len(req.Payments) == 0 {
		return nil, &banks.Error{Status: 400, Code: "FORMAT_ERROR", Message: "a bulk payment needs at least one payment"}
	}
	prod := product(req.Currency)
	body := BulkPaymentInitiation{DebtorAccount: account(prof.DebtorFormat, req.Debtor)}
	if req.BatchBooking {
		yes := true
		body.BatchBookingPreferred = &yes
	}
	for _, p := range req.Payments {
		cred := p.Creditor
		cred.Currency = req.Currency
		body.Payments = append(body.Payments, BulkPaymentEntry{
			InstructedAmount:                  Amount{Currency: req.Currency, Amount: p.Amount},
			CreditorName:                      p.CreditorName,
			CreditorAccount:                   account(prof.CreditorFormat, cred),
			RemittanceInformationUnstructured: p.Reference,
		})
	}
	scope, corporateID := corporateContext(req.Corporate)
	var out PaymentCreated
	if err := c.call(ctx, call{method: "POST", path: "/paymentinitiation/v1/" + ServiceBulk + "/" + prod, scope: scope,
		bic: req.BIC, affiliate: req.Affiliate, psu: req.PSU, corporateID: corporateID, body: body, create: true}, &out); err != nil {
		return nil, fmt.Errorf("openpayments: create bulk payment: %w", err)
	}
	if out.PaymentID == "" {
		return nil, fmt.Errorf("openpayments: create bulk payment: no paymentId in answer")
	}
	created := &banks.Created{PaymentID: out.PaymentID, Product: prod, BankStatus: out.TransactionStatus,
		Extra: map[string]string{banks.ExtraService: ServiceBulk}}
	keepContext(created.Extra, req.Corporate)
	keepLinks(created.Extra, out.Links)
	return created, nil
}

// corporateContext is the token scope and PSU-Corporate-ID of a payment made for a company, or of
// a private person's (nil).
func corporateContext(co *banks.Corporate) (scope, corporateID string) {
	if co == nil {
		return ScopePayments, ""
	}
	return ScopePaymentsCorporate, co.ID
}

// keepContext notes the corporate context in an order's Extra, so its later calls stay in it.
func keepContext(extra map[string]string, co *banks.Corporate) {
	if co == nil {
		return
	}
	extra[banks.ExtraPSUContext] = "CORPORATE"
	if co.ID != "" {
		extra[banks.ExtraCorporateID] = co.ID
	}
}
