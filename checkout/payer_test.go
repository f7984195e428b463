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

// payerBank is the script bank that reports, on the payment resource, the account a payment came
// from (banks.PayerReporter): payer, or err.
type payerBank struct {
	*scriptBank
	payer *payment.PayerAccount
	err   error
}

func (b *payerBank) Payer(context.Context, banks.Order) (*payment.PayerAccount, error) {
	b.count("Payer")
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.payer, b.err
}

// TestBankReportedPayer: a payment completed at a bank that reports the account it came from
// becomes refundable with that account, asked for once, at completion and not before; an account
// the shopper gave is neither asked for nor replaced; a bank that names none, or fails, leaves
// the payment completed with its account unknown.
func TestBankReportedPayer(t *testing.T) {
	reported := &payment.PayerAccount{Account: payment.Account{IBAN: "SE3550000000054910000003", Country: "SE"}, Name: "Kari Nordmann"}
	const given = "SE4550000000058398257466"
	for _, tc := range []struct {
		name     string
		payer    *payment.PayerAccount
		err      error
		debtor   string // the account the shopper gave before choosing the bank
		want     string // the payment's account in the end; "" unknown
		wantName string
		calls    int // the bank calls for it
	}{
		{"Recorded", reported, nil, "", reported.Account.IBAN, reported.Name, 1},
		{"KnownNotReplaced", reported, nil, given, given, "", 0},
		{"NoneReported", nil, nil, "", "", "", 1},
		{"BankFails", nil, &banks.Error{Status: 503, Retryable: true}, "", "", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, payment.ApproachDecoupled)
			pb := &payerBank{scriptBank: e.bank, payer: tc.payer, err: tc.err}
			e.svc = checkout.New(e.db, []banks.Provider{pb}, "https://pay.example", slog.New(slog.DiscardHandler), e.clock.Now)
			e.svc.PollEvery = 0
			ctx := t.Context()
			p := e.pay(t, false)
			if tc.debtor != "" {
				if err := e.svc.SetDebtor(ctx, p, payment.Account{IBAN: tc.debtor, Country: "SE"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.svc.ChooseBank(ctx, e.reload(t, p), "SCRPSESS", banks.PSU{IPAddress: "192.0.2.1"}, false); err != nil {
				t.Fatal(err)
			}
			// Approved, not yet settled: processing, and nobody asks for the account yet.
			e.bank.set(func(b *scriptBank) { b.sca, b.status = "finalised", "ACTC" })
			if _, pr := e.step(t, e.reload(t, p), payment.CausePoll); pr.Payment.Status != payment.StatusProcessing || pb.called("Payer") != 0 {
				t.Fatalf("%s, %d calls for the account before completion", pr.Payment.Status, pb.called("Payer"))
			}
			e.bank.set(func(b *scriptBank) { b.status = "ACSC" })
			_, pr := e.step(t, e.reload(t, p), payment.CausePoll)
			if pr.Payment.Status != payment.StatusCompleted {
				t.Fatalf("status %s", pr.Payment.Status)
			}
			// Looked at again (a reload, the provider's webhook): no further call.
			e.step(t, e.reload(t, p), payment.CausePoll)
			if _, err := e.svc.BankUpdated(ctx, "script", "bank-1"); err != nil {
				t.Fatal(err)
			}
			if n := pb.called("Payer"); n != tc.calls {
				t.Fatalf("%d calls for the account, want %d", n, tc.calls)
			}

			got, err := e.db.PayerAccount(ctx, p.ID)
			r, rerr := payment.NewRefund(pr.Payment, "100.00", "")
			if rerr != nil {
				t.Fatal(rerr)
			}
			_, _, cerr := e.db.CreateRefund(ctx, r, "", "")
			if tc.want == "" {
				if !errors.Is(err, payment.ErrPayerAccountUnknown) || pr.Payment.Debtor != nil || !errors.Is(cerr, payment.ErrPayerAccountUnknown) {
					t.Fatalf("account %+v (%v), debtor %+v, refund %v: want unknown", got, err, pr.Payment.Debtor, cerr)
				}
				return
			}
			if err != nil || got.Account.IBAN != tc.want || got.Name != tc.wantName {
				t.Fatalf("account %+v, %v; want %s %q", got, err, tc.want, tc.wantName)
			}
			if pr.Payment.Debtor == nil || pr.Payment.Debtor.IBAN != tc.want || e.reload(t, p).Debtor.IBAN != tc.want {
				t.Fatalf("the completed payment's debtor %+v, want %s", pr.Payment.Debtor, tc.want)
			}
			if cerr != nil {
				t.Fatalf("refund of the completed payment: %v", cerr)
			}
		})
	}
}
