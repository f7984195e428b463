package checkout_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/checkout"
	"paybybank/payment"
	"paybybank/store"
)

// clock is a settable clock, shared by the store and the service as app.Config.Now shares it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// scriptBank is a provider with one bank whose answers the test scripts: the SCA approach, the
// scaStatus a poll reports, the transaction status, the one-time code it takes. It counts calls.
type scriptBank struct {
	mu       sync.Mutex
	approach payment.Approach
	sca      string // what PollSCA reports: "started", "finalised" or "failed"
	hint     string // the hint a failed SCA reports
	status   string // the transaction status: RCVD until the shopper approves
	otp      string // the code SubmitOTP takes
	state    string // the callback state of the last payment created
	create   error  // what CreatePayment fails with, if set
	finish   error  // what FinishRedirect fails with, if set
	n        int
	calls    map[string]int
}

func newScriptBank(approach payment.Approach) *scriptBank {
	return &scriptBank{approach: approach, sca: "started", status: "RCVD", otp: "123456", calls: map[string]int{}}
}

// set changes the bank's answers under its lock.
func (b *scriptBank) set(f func(b *scriptBank)) { b.mu.Lock(); defer b.mu.Unlock(); f(b) }

func (b *scriptBank) called(name string) int { b.mu.Lock(); defer b.mu.Unlock(); return b.calls[name] }

func (b *scriptBank) count(name string) { b.mu.Lock(); b.calls[name]++; b.mu.Unlock() }

func (b *scriptBank) Name() string { return "script" }
func (b *scriptBank) Banks(context.Context) ([]banks.Bank, error) {
	return []banks.Bank{{BIC: "SCRPSESS", Name: "Script Bank", Country: "SE", Provider: "script", Approach: b.approach}}, nil
}
func (b *scriptBank) CreatePayment(_ context.Context, req banks.PaymentRequest) (*banks.Created, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls["CreatePayment"]++
	if b.create != nil {
		return nil, b.create
	}
	b.n++
	b.state = req.State
	c := &banks.Created{PaymentID: fmt.Sprintf("bank-%d", b.n), Product: "domestic", BankStatus: "RCVD"}
	if b.approach == payment.ApproachRedirect {
		c.RedirectURL = "https://bank.example/sca"
	}
	return c, nil
}
func (b *scriptBank) StartSCA(context.Context, banks.Order, banks.SCARequest) (*banks.SCA, error) {
	b.count("StartSCA")
	if b.approach == payment.ApproachEmbedded {
		return &banks.SCA{Approach: payment.ApproachEmbedded, Status: "scaMethodSelected",
			Challenge: &payment.Challenge{Method: "SMS OTP", OTPFormat: "integer", OTPLength: 6}}, nil
	}
	return &banks.SCA{Approach: payment.ApproachDecoupled, Status: "started", AutostartToken: "token", QRData: "bankid.qr"}, nil
}
func (b *scriptBank) PollSCA(context.Context, banks.Order) (*banks.SCA, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls["PollSCA"]++
	sca := &banks.SCA{Approach: payment.ApproachDecoupled, Status: b.sca, QRData: "bankid.qr"}
	switch b.sca {
	case "finalised":
		sca.Finalised = true
	case "failed":
		sca.Failed, sca.Hint = true, b.hint
	}
	return sca, nil
}
func (b *scriptBank) FinishRedirect(context.Context, banks.Order, url.Values) error {
	b.count("FinishRedirect")
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.finish
}
func (b *scriptBank) Status(context.Context, banks.Order) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls["Status"]++
	return b.status, nil
}
func (b *scriptBank) Cancel(context.Context, banks.Order) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls["Cancel"]++
	if b.status == "ACSC" || b.status == "ACSP" {
		return &banks.Error{Status: 400, Code: "CANCELLATION_INVALID"}
	}
	b.status = "CANC"
	return nil
}
func (b *scriptBank) SubmitOTP(_ context.Context, _ banks.Order, otp string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls["SubmitOTP"]++
	if otp != b.otp {
		return false, &banks.Error{Status: 401, Code: "PSU_CREDENTIALS_INVALID"}
	}
	b.status = "ACSC"
	return true, nil
}

// env is a checkout service on a real SQLite store in a temporary folder, one scriptable bank,
// a merchant with a webhook endpoint (so every transition queues its event) and a fake clock.
type env struct {
	db    *store.DB
	svc   *checkout.Service
	bank  *scriptBank
	clock *clock
	m     *payment.Merchant
}

func newEnv(t *testing.T, approach payment.Approach) *env {
	t.Helper()
	e := &env{clock: &clock{now: time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)}, bank: newScriptBank(approach)}
	e.db = store.NewDB(t.TempDir()+"/pbb.db", e.clock.Now)
	if err := e.db.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	e.svc = checkout.New(e.db, []banks.Provider{e.bank}, "https://pay.example", slog.New(slog.DiscardHandler), e.clock.Now)
	e.svc.PollEvery = 0 // the clock stands still: ask the bank every time
	ctx := t.Context()
	e.m = &payment.Merchant{Name: "Shop", Creditor: payment.Creditor{Name: "Shop AB", IBAN: "SE7160000000000123456789"}}
	if err := e.db.CreateMerchant(ctx, e.m); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateWebhookEndpoint(ctx, e.m.ID, "https://shop.example/hooks", []string{"*"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// pay creates a payment and, when choose is set, chooses the bank.
func (e *env) pay(t *testing.T, choose bool) *payment.Payment {
	t.Helper()
	ctx := t.Context()
	p, _, err := e.svc.CreatePayment(ctx, e.m, checkout.NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 1"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !choose {
		return p
	}
	if _, err := e.svc.ChooseBank(ctx, p, "SCRPSESS", banks.PSU{IPAddress: "192.0.2.1"}, false); err != nil {
		t.Fatal(err)
	}
	return e.reload(t, p)
}

func (e *env) reload(t *testing.T, p *payment.Payment) *payment.Payment {
	t.Helper()
	np, err := e.db.Payment(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return np
}

// history is the payment's transitions, as "from→to" strings, and its queued webhook events' types.
func (e *env) history(t *testing.T, p *payment.Payment) (moves, hooks []string) {
	t.Helper()
	evs, err := e.db.Events(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.From == "" {
			continue // its creation
		}
		moves = append(moves, string(ev.From)+"→"+string(ev.To))
	}
	whs, err := e.db.PaymentWebhooks(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, wh := range whs {
		hooks = append(hooks, wh.Type)
	}
	return moves, hooks
}

func (e *env) step(t *testing.T, p *payment.Payment, cause payment.Cause) (payment.Step, *checkout.Progress) {
	t.Helper()
	pr, err := e.svc.Progress(t.Context(), p, cause)
	if err != nil {
		t.Fatal(err)
	}
	return pr.Next(false).Step, pr
}

func callbackState(b *scriptBank) url.Values {
	b.mu.Lock()
	defer b.mu.Unlock()
	return url.Values{"state": {b.state}, "code": {"c"}}
}

// TestProgressThroughSteps walks a payment through each step the shopper's page can show, by
// each approach, with the bank scripted as the shopper acts.
func TestProgressThroughSteps(t *testing.T) {
	for _, tc := range []struct {
		name     string
		approach payment.Approach
		// act makes the shopper act at the bank; then Progress (or the action) moves the payment.
		act  func(t *testing.T, e *env, p *payment.Payment)
		step payment.Step // the step while the shopper is at the bank
		want payment.Status
	}{
		{"DecoupledApproved", payment.ApproachDecoupled, func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.status = "finalised", "ACSC" })
		}, payment.StepBankID, payment.StatusCompleted},
		{"DecoupledApprovedNotYetSettled", payment.ApproachDecoupled, func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.status = "finalised", "ACTC" })
		}, payment.StepBankID, payment.StatusProcessing},
		{"DecoupledCancelledInApp", payment.ApproachDecoupled, func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.hint = "failed", "userCancel" })
		}, payment.StepBankID, payment.StatusOpen}, // the attempt ended: back to the bank choice
		{"RedirectCallback", payment.ApproachRedirect, func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.status = "ACSC" })
			if _, err := e.svc.Callback(t.Context(), callbackState(e.bank)); err != nil {
				t.Fatal(err)
			}
		}, payment.StepAtBank, payment.StatusCompleted},
		{"RedirectRejected", payment.ApproachRedirect, func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.status = "RJCT" })
			if _, err := e.svc.Callback(t.Context(), callbackState(e.bank)); err != nil {
				t.Fatal(err)
			}
		}, payment.StepAtBank, payment.StatusOpen}, // rejected: another attempt may follow
		{"EmbeddedCode", payment.ApproachEmbedded, func(t *testing.T, e *env, p *payment.Payment) {
			if _, err := e.svc.SubmitOTP(t.Context(), p, "000000"); err != checkout.ErrWrongOTP {
				t.Fatalf("wrong code: %v", err)
			}
			if _, err := e.svc.SubmitOTP(t.Context(), p, "123456"); err != nil {
				t.Fatal(err)
			}
		}, payment.StepOTP, payment.StatusCompleted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.approach)
			p := e.pay(t, false)
			if step, _ := e.step(t, p, payment.CauseShopper); step != payment.StepBankChoice {
				t.Fatalf("new payment at %s, want %s", step, payment.StepBankChoice)
			}
			p = e.pay(t, true)
			if p.Status != payment.StatusAuthorising {
				t.Fatalf("after the choice: %s", p.Status)
			}
			if step, _ := e.step(t, p, payment.CausePoll); step != tc.step {
				t.Fatalf("at the bank: step %s, want %s", step, tc.step)
			}
			tc.act(t, e, p)
			step, pr := e.step(t, e.reload(t, p), payment.CausePoll)
			if pr.Payment.Status != tc.want {
				t.Fatalf("status %s, want %s", pr.Payment.Status, tc.want)
			}
			wantStep := payment.StepResult
			switch tc.want {
			case payment.StatusProcessing:
				wantStep = payment.StepProcessing
			case payment.StatusOpen:
				wantStep = payment.StepBankChoice
			}
			if step != wantStep {
				t.Fatalf("step %s, want %s", step, wantStep)
			}
			moves, hooks := e.history(t, p)
			if len(moves) != len(hooks) {
				t.Fatalf("transitions %v, webhook events %v: one each", moves, hooks)
			}
		})
	}
}

// TestExpiry: a payment past its time expires on the next look, its bank order cancelled; one
// the shopper approved at the bank before it ran out is settled as the bank says, never expired.
func TestExpiry(t *testing.T) {
	for _, tc := range []struct {
		name       string
		choose     bool
		bankStatus string
		want       payment.Status
		cancelled  bool // the bank's order was cancelled
	}{
		{"NoBankChosen", false, "", payment.StatusExpired, false},
		{"AtTheBank", true, "RCVD", payment.StatusExpired, true},
		{"ApprovedBeforeItRanOut", true, "ACSC", payment.StatusCompleted, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, payment.ApproachRedirect)
			p := e.pay(t, tc.choose)
			e.clock.Add(payment.DefaultExpiresIn*time.Second - time.Second)
			if _, pr := e.step(t, p, payment.CausePoll); pr.Payment.Status.Terminal() {
				t.Fatalf("ended before its time: %s", pr.Payment.Status)
			}
			// The shopper approves at the bank as it runs out, and never comes back.
			if tc.bankStatus != "" {
				e.bank.set(func(b *scriptBank) { b.status = tc.bankStatus })
			}
			e.clock.Add(2 * time.Second)
			_, pr := e.step(t, e.reload(t, p), payment.CausePoll)
			if pr.Payment.Status != tc.want {
				t.Fatalf("status %s, want %s", pr.Payment.Status, tc.want)
			}
			if got := e.bank.called("Cancel") > 0; got != tc.cancelled {
				t.Fatalf("bank order cancelled: %v, want %v", got, tc.cancelled)
			}
			moves, hooks := e.history(t, p)
			if len(moves) != len(hooks) || moves[len(moves)-1] != string(p.Status)+"→"+string(tc.want) {
				t.Fatalf("transitions %v, webhook events %v", moves, hooks)
			}
		})
	}
}

// TestCancel: the merchant cancels before and during SCA; once the shopper approved at the bank
// the bank refuses, and the payment is settled as it says instead.
func TestCancel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		choose     bool
		bankStatus string
		want       payment.Status
		refused    bool
	}{
		{"Open", false, "", payment.StatusCancelled, false},
		{"AtTheBank", true, "RCVD", payment.StatusCancelled, false},
		{"ApprovedAtTheBank", true, "ACSC", payment.StatusCompleted, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, payment.ApproachDecoupled)
			p := e.pay(t, tc.choose)
			if tc.bankStatus != "" {
				e.bank.set(func(b *scriptBank) { b.status = tc.bankStatus })
			}
			np, err := e.svc.Cancel(t.Context(), p, payment.CauseMerchant)
			var nc *checkout.NotCancellableError
			if refused := err != nil; refused != tc.refused || (refused && !asNotCancellable(err, &nc)) {
				t.Fatalf("cancel: %v", err)
			}
			if np.Status != tc.want {
				t.Fatalf("status %s, want %s", np.Status, tc.want)
			}
			// A second cancel changes nothing.
			if _, err := e.svc.Cancel(t.Context(), e.reload(t, p), payment.CauseMerchant); err == nil {
				t.Fatal("cancelled twice")
			}
			moves, hooks := e.history(t, p)
			if len(moves) != len(hooks) {
				t.Fatalf("transitions %v, webhook events %v: one each", moves, hooks)
			}
		})
	}
}

func asNotCancellable(err error, target **checkout.NotCancellableError) bool {
	nc, ok := err.(*checkout.NotCancellableError)
	*target = nc
	return ok
}

// TestCallbackStateSingleUse: a callback's state is taken once; a replay or a made-up state moves
// nothing.
func TestCallbackStateSingleUse(t *testing.T) {
	e := newEnv(t, payment.ApproachRedirect)
	p := e.pay(t, true)
	e.bank.set(func(b *scriptBank) { b.status = "ACSC" })
	q := callbackState(e.bank)
	if np, err := e.svc.Callback(t.Context(), q); err != nil || np.Status != payment.StatusCompleted {
		t.Fatalf("callback: %v", err)
	}
	if _, err := e.svc.Callback(t.Context(), q); err != checkout.ErrUsedState {
		t.Fatalf("replayed callback: %v, want ErrUsedState", err)
	}
	if _, err := e.svc.Callback(t.Context(), url.Values{"state": {"made-up"}}); err != checkout.ErrBadState {
		t.Fatalf("made-up state: %v, want ErrBadState", err)
	}
	if e.bank.called("FinishRedirect") != 1 {
		t.Fatalf("FinishRedirect called %d times", e.bank.called("FinishRedirect"))
	}
	moves, hooks := e.history(t, p)
	if want := []string{"open→authorising", "authorising→completed"}; fmt.Sprint(moves) != fmt.Sprint(want) {
		t.Fatalf("transitions %v, want %v", moves, want)
	}
	if want := []string{"payment.authorising", "payment.completed"}; fmt.Sprint(hooks) != fmt.Sprint(want) {
		t.Fatalf("webhook events %v, want %v", hooks, want)
	}
}

// TestRaces: the shopper's callback, the page's polls and the provider's webhook reach a payment
// the bank has just approved at once, many times each. The payment moves once to completed, with
// one event and one webhook event per transition.
func TestRaces(t *testing.T) {
	for _, tc := range []struct {
		name     string
		approach payment.Approach
		callback bool
	}{
		{"RedirectCallbackPollWebhook", payment.ApproachRedirect, true},
		{"DecoupledPollWebhook", payment.ApproachDecoupled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.approach)
			p := e.pay(t, true)
			a, err := e.db.ActiveAuthorisation(t.Context(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			q := callbackState(e.bank)
			e.bank.set(func(b *scriptBank) { b.sca, b.status = "finalised", "ACSC" })
			const n = 8
			var wg sync.WaitGroup
			errs := make(chan error, 3*n)
			for i := 0; i < n; i++ {
				wg.Add(2)
				go func() {
					defer wg.Done()
					if _, err := e.svc.Progress(context.Background(), p, payment.CausePoll); err != nil {
						errs <- fmt.Errorf("poll: %w", err)
					}
				}()
				go func() {
					defer wg.Done()
					if _, err := e.svc.BankUpdated(context.Background(), "script", a.BankPaymentID); err != nil {
						errs <- fmt.Errorf("webhook: %w", err)
					}
				}()
			}
			if tc.callback {
				wg.Add(n)
				for i := 0; i < n; i++ {
					go func() {
						defer wg.Done()
						// One callback takes the state; the others find it used.
						if _, err := e.svc.Callback(context.Background(), q); err != nil && err != checkout.ErrUsedState {
							errs <- fmt.Errorf("callback: %w", err)
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got := e.reload(t, p).Status; got != payment.StatusCompleted {
				t.Fatalf("status %s, want completed", got)
			}
			moves, hooks := e.history(t, p)
			if want := []string{"open→authorising", "authorising→completed"}; fmt.Sprint(moves) != fmt.Sprint(want) {
				t.Fatalf("transitions %v, want %v", moves, want)
			}
			if want := []string{"payment.authorising", "payment.completed"}; fmt.Sprint(hooks) != fmt.Sprint(want) {
				t.Fatalf("webhook events %v, want %v", hooks, want)
			}
		})
	}
}
