package checkout_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"paybybank/banks"
	"paybybank/checkout"
	"paybybank/payment"
)

// bulkBank is the script bank with the bulk service: it records the bulks it is asked for.
type bulkBank struct {
	*scriptBank
	bulks []banks.BulkRequest
	reqs  []banks.PaymentRequest
}

func (b *bulkBank) OffersBulk(string) bool { return true }
func (b *bulkBank) CreateBulkPayment(ctx context.Context, req banks.BulkRequest) (*banks.Created, error) {
	b.mu.Lock()
	b.bulks = append(b.bulks, req)
	b.mu.Unlock()
	return b.scriptBank.CreatePayment(ctx, banks.PaymentRequest{State: req.State})
}
func (b *bulkBank) CreatePayment(ctx context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	b.mu.Lock()
	b.reqs = append(b.reqs, req)
	b.mu.Unlock()
	return b.scriptBank.CreatePayment(ctx, req)
}

// refundEnv is env with refunds: a refund account at the script bank and two refunds of a
// completed payment waiting for authorisation. bulk says whether the bank takes bulk payments.
func refundEnv(t *testing.T, bulk bool) (*env, *bulkBank, []*payment.Refund) {
	t.Helper()
	e := newEnv(t, payment.ApproachDecoupled)
	bb := &bulkBank{scriptBank: e.bank}
	var prov banks.Provider = bb
	if !bulk {
		prov = e.bank
	}
	e.svc = checkout.New(e.db, []banks.Provider{prov}, "https://pay.example", slog.New(slog.DiscardHandler), e.clock.Now)
	e.svc.PollEvery = 0
	e.svc.Refunds = e.db
	ctx := t.Context()
	if err := e.db.SetRefundAccount(ctx, &payment.RefundAccount{MerchantID: e.m.ID, BIC: "SCRPSESS", Provider: "script", Name: "Shop AB", CorporateID: "556000-0001",
		Account: payment.Account{IBAN: "SE7160000000000123456789"}}); err != nil {
		t.Fatal(err)
	}
	p, _, err := e.svc.CreatePayment(ctx, e.m, checkout.NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 1"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetDebtor(ctx, p, payment.Account{IBAN: "SE3550000000054910000003"}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []payment.Transition{{From: payment.StatusOpen, To: payment.StatusAuthorising}, {From: payment.StatusAuthorising, To: payment.StatusCompleted, BankStatus: "ACSC"}} {
		if p, err = e.db.Transition(ctx, p.ID, tr); err != nil {
			t.Fatal(err)
		}
	}
	var list []*payment.Refund
	for _, amount := range []string{"100.00", "49.50"} {
		r, err := payment.NewRefund(p, amount, "Refund "+amount)
		if err != nil {
			t.Fatal(err)
		}
		if r, _, err = e.db.CreateRefund(ctx, r, "", ""); err != nil {
			t.Fatal(err)
		}
		list = append(list, r)
	}
	e.bank.set(func(b *scriptBank) { b.status = "RCVD" })
	return e, bb, list
}

func (e *env) refundStatuses(t *testing.T, list []*payment.Refund) []payment.RefundStatus {
	t.Helper()
	var out []payment.RefundStatus
	for _, r := range list {
		got, err := e.db.Refund(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got.Status)
	}
	return out
}

func ids(list []*payment.Refund) []string {
	var out []string
	for _, r := range list {
		out = append(out, r.ID)
	}
	return out
}

// TestRefundsInOneBulk: two refunds at a bank with bulk payments are one order, from the refund
// account to both payers in the corporate context, authorised once with BankID exactly as a
// shopper's payment (StepOf), followed to completed; the refunds move with it, and the order is
// neither one of the merchant's payments nor notified as one.
func TestRefundsInOneBulk(t *testing.T) {
	e, bb, list := refundEnv(t, true)
	ctx := t.Context()
	orders, err := e.svc.AuthoriseRefunds(ctx, e.m, ids(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].AmountMinor != 14950 || orders[0].PreselectBIC != "SCRPSESS" || orders[0].Kind != payment.KindRefund {
		t.Fatalf("orders %+v", orders)
	}
	o := orders[0]
	if got := e.refundStatuses(t, list); got[0] != payment.RefundAuthorising || got[1] != payment.RefundAuthorising {
		t.Fatalf("refunds %v", got)
	}
	if _, err := e.svc.AuthoriseRefunds(ctx, e.m, ids(list)); !errors.Is(err, checkout.ErrRefundNotAwaiting) {
		t.Fatalf("authorised twice: %v", err)
	}
	if _, err := e.svc.ChooseBank(ctx, o, "SCRPSESS", banks.PSU{IPAddress: "192.0.2.1"}, false); err != nil {
		t.Fatal(err)
	}
	if len(bb.bulks) != 1 || len(bb.reqs) != 0 {
		t.Fatalf("bulks %d, single payments %d", len(bb.bulks), len(bb.reqs))
	}
	bulk := bb.bulks[0]
	if bulk.Debtor.IBAN != "SE7160000000000123456789" || bulk.Corporate == nil || bulk.Corporate.Name != "Shop AB" || bulk.Corporate.ID != "556000-0001" ||
		len(bulk.Payments) != 2 || bulk.Payments[1].Amount != "49.50" || bulk.Payments[0].Creditor.IBAN != "SE3550000000054910000003" {
		t.Fatalf("bulk %+v", bulk)
	}
	o = e.reload(t, o)
	pr, err := e.svc.Progress(ctx, o, payment.CauseShopper)
	if err != nil {
		t.Fatal(err)
	}
	if step := pr.Next(false).Step; step != payment.StepBankID {
		t.Fatalf("step %s, want BankID", step)
	}
	e.bank.set(func(b *scriptBank) { b.sca, b.status = "finalised", "ACSP" })
	if pr, err = e.svc.Progress(ctx, o, payment.CausePoll); err != nil || pr.Payment.Status != payment.StatusProcessing {
		t.Fatalf("after SCA %+v %v", pr, err)
	}
	if got := e.refundStatuses(t, list); got[0] != payment.RefundProcessing || got[1] != payment.RefundProcessing {
		t.Fatalf("refunds %v", got)
	}
	e.bank.set(func(b *scriptBank) { b.status = "ACSC" })
	if _, err := e.svc.Reconcile(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.refundStatuses(t, list); got[0] != payment.RefundCompleted || got[1] != payment.RefundCompleted {
		t.Fatalf("refunds %v", got)
	}
	if _, hooks := e.history(t, e.reload(t, o)); len(hooks) != 0 {
		t.Fatalf("a refund order notified as a payment: %v", hooks)
	}
	if _, err := e.db.MerchantPayment(ctx, e.m.ID, o.ID); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("a refund order is one of the merchant's payments: %v", err)
	}
	if back, _ := e.svc.ReturnURL(ctx, o); back != "https://pay.example/merchant/refunds?order="+o.ID {
		t.Fatalf("back to %q", back)
	}
}

// TestRefundsInTurn: at a bank without bulk payments each refund is an order of its own; a person
// who refuses in the BankID app puts that refund back to authorise another time, while the other
// goes on.
func TestRefundsInTurn(t *testing.T) {
	e, _, list := refundEnv(t, false)
	ctx := t.Context()
	orders, err := e.svc.AuthoriseRefunds(ctx, e.m, ids(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 2 || orders[0].AmountMinor != 10000 || orders[1].AmountMinor != 4950 || orders[0].Creditor.IBAN != "SE3550000000054910000003" {
		t.Fatalf("orders %+v", orders)
	}
	if _, err := e.svc.ChooseBank(ctx, orders[0], "SCRPSESS", banks.PSU{IPAddress: "192.0.2.1"}, false); err != nil {
		t.Fatal(err)
	}
	e.bank.set(func(b *scriptBank) { b.sca, b.hint = "failed", "userCancel" })
	pr, err := e.svc.Progress(ctx, e.reload(t, orders[0]), payment.CausePoll)
	if err != nil || pr.Payment.Status != payment.StatusFailed {
		t.Fatalf("refused: %+v %v", pr, err)
	}
	if got := e.refundStatuses(t, list); got[0] != payment.RefundAwaitingAuthorisation || got[1] != payment.RefundAuthorising {
		t.Fatalf("refunds %v", got)
	}
	e.bank.set(func(b *scriptBank) { b.sca, b.hint, b.status = "finalised", "", "ACSC" })
	if _, err := e.svc.ChooseBank(ctx, orders[1], "SCRPSESS", banks.PSU{IPAddress: "192.0.2.1"}, false); err != nil {
		t.Fatal(err)
	}
	if pr, err := e.svc.Progress(ctx, e.reload(t, orders[1]), payment.CausePoll); err != nil || pr.Payment.Status != payment.StatusCompleted {
		t.Fatalf("second: %+v %v", pr, err)
	}
	if got := e.refundStatuses(t, list); got[0] != payment.RefundAwaitingAuthorisation || got[1] != payment.RefundCompleted {
		t.Fatalf("refunds %v", got)
	}
	// The refused refund is authorised again in a new order.
	again, err := e.svc.AuthoriseRefunds(ctx, e.m, ids(list[:1]))
	if err != nil || len(again) != 1 {
		t.Fatalf("again: %v", err)
	}
}
