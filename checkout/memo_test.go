package checkout

import (
	"context"
	"log/slog"
	"net/url"
	"testing"

	"paybybank/banks"
	"paybybank/payment"
	"paybybank/store"
)

// memoBank is a provider whose one bank authorises by approach and whose payments stay
// undecided ("RCVD") until settled is set.
type memoBank struct {
	approach payment.Approach
	state    string // the callback state of the last payment created
	settled  bool
}

func (b *memoBank) Name() string { return "memo" }
func (b *memoBank) Banks(context.Context) ([]banks.Bank, error) {
	return []banks.Bank{{BIC: "MEMOSESS", Name: "Memo Bank", Country: "SE", Provider: "memo", Approach: b.approach}}, nil
}
func (b *memoBank) CreatePayment(_ context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	b.state = req.State
	c := &banks.Created{PaymentID: "bank-" + req.State[:8], Product: "domestic"}
	if b.approach == payment.ApproachRedirect {
		c.RedirectURL = "https://bank.example/sca"
	}
	return c, nil
}
func (b *memoBank) StartSCA(context.Context, banks.Order, banks.SCARequest) (*banks.SCA, error) {
	return &banks.SCA{Approach: payment.ApproachDecoupled, Status: "started", AutostartToken: "t"}, nil
}
func (b *memoBank) PollSCA(context.Context, banks.Order) (*banks.SCA, error) {
	return &banks.SCA{Approach: payment.ApproachDecoupled, Status: string(payment.SCAFinalised), Finalised: true}, nil
}
func (b *memoBank) FinishRedirect(context.Context, banks.Order, url.Values) error { return nil }
func (b *memoBank) Status(context.Context, banks.Order) (string, error) {
	if b.settled {
		return "ACSC", nil
	}
	return "RCVD", nil
}
func (b *memoBank) Cancel(context.Context, banks.Order) error { return nil }

// TestPollMemoForgottenWhenPaymentsEnd completes a payment by decoupled polling and one by the
// redirect's callback: the memo of bank polls must keep nothing of either.
func TestPollMemoForgottenWhenPaymentsEnd(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		approach payment.Approach
		complete func(t *testing.T, s *Service, b *memoBank, p *payment.Payment) *payment.Payment
	}{
		{"ByPolling", payment.ApproachDecoupled, func(t *testing.T, s *Service, b *memoBank, p *payment.Payment) *payment.Payment {
			b.settled = true
			pr, err := s.Progress(ctx, p, payment.CausePoll)
			if err != nil {
				t.Fatal(err)
			}
			return pr.Payment
		}},
		{"ByCallback", payment.ApproachRedirect, func(t *testing.T, s *Service, b *memoBank, p *payment.Payment) *payment.Payment {
			// The page asks while the shopper is at the bank: the redirect check is memoised.
			if _, err := s.Progress(ctx, p, payment.CausePoll); err != nil {
				t.Fatal(err)
			}
			b.settled = true
			np, err := s.Callback(ctx, url.Values{"state": {b.state}})
			if err != nil {
				t.Fatal(err)
			}
			return np
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := store.NewDB(t.TempDir()+"/test.db", nil)
			if err := db.Open(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			m := &payment.Merchant{Name: "Shop", Creditor: payment.Creditor{Name: "Shop AB", IBAN: "SE7160000000000123456789"}}
			if err := db.CreateMerchant(ctx, m); err != nil {
				t.Fatal(err)
			}
			b := &memoBank{approach: tc.approach}
			s := New(db, []banks.Provider{b}, "https://pay.example", slog.New(slog.DiscardHandler), nil)
			s.PollEvery = 0 // every poll asks the bank
			p, _, err := s.CreatePayment(ctx, m, NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 1"}, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ChooseBank(ctx, p, "MEMOSESS", banks.PSU{}, false); err != nil {
				t.Fatal(err)
			}
			if p, err = db.Payment(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			if p = tc.complete(t, s, b, p); p.Status != payment.StatusCompleted {
				t.Fatalf("payment %s, want completed", p.Status)
			}
			s.mu.Lock()
			n := len(s.polls)
			s.mu.Unlock()
			if n != 0 {
				t.Fatalf("%d poll memo entries kept for a completed payment", n)
			}
		})
	}
}
