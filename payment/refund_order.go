package payment

import "strings"

// KindRefund marks a refund order: a payment the checkout drives like any other (the bank, SCA,
// the callback, the reconciler), made from the merchant's refund account to the payers of the
// refunds it carries and authorised by a person of the merchant. It is never listed, exported or
// notified as a payment; its refunds move with it.
const KindRefund = "refund"

// metaRefunds is the metadata key of a refund order that lists its refunds' ids, comma-separated.
const metaRefunds = "refunds"

// RefundIDs are the refunds a refund order carries, in the order they were selected.
func (p *Payment) RefundIDs() []string {
	if p.Kind != KindRefund || p.Metadata[metaRefunds] == "" {
		return nil
	}
	return strings.Split(p.Metadata[metaRefunds], ",")
}

// SetRefundIDs records the refunds a refund order carries.
func (p *Payment) SetRefundIDs(ids []string) {
	if p.Metadata == nil {
		p.Metadata = map[string]string{}
	}
	p.Metadata[metaRefunds] = strings.Join(ids, ",")
}
