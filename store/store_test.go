package store_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"paybybank/internal/pgtest"
	"paybybank/payment"
	"paybybank/store"
)

// onPostgres reports whether the test runs inside TestPostgresStore, which runs the store's
// suite on PostgreSQL; elsewhere the same tests run on SQLite.
func onPostgres(tb testing.TB) bool { return strings.HasPrefix(tb.Name(), "TestPostgres") }

// freshDSN names an empty database of the test's engine: a file in a temporary folder, or a
// schema of its own on PostgreSQL.
func freshDSN(tb testing.TB) string {
	if onPostgres(tb) {
		return pgtest.URL(tb)
	}
	return tb.TempDir() + "/test.db"
}

// MustOpenDB opens a fresh database of the test's engine.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpenDBAt(tb, nil)
}

// mustOpenDBAt opens a fresh database of the test's engine on the clock now.
func mustOpenDBAt(tb testing.TB, now func() time.Time) *store.DB {
	tb.Helper()
	db := store.NewDB(freshDSN(tb), now)
	if err := db.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mustMerchant(tb testing.TB, db *store.DB) *payment.Merchant {
	tb.Helper()
	m := &payment.Merchant{Name: "Shop", AllowedOrigins: []string{"https://shop.example"}, Creditor: payment.Creditor{Name: "Shop AB", IBAN: "SE7160000000000123456789"}}
	if err := db.CreateMerchant(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func newPayment(m *payment.Merchant) *payment.Payment {
	return &payment.Payment{MerchantID: m.ID, AmountMinor: 24900, Currency: "SEK", Reference: "Order 1", Creditor: m.Creditor,
		ExpiresAt: time.Now().Add(15 * time.Minute)}
}

func TestMerchantsAndKeys(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	key, err := db.CreateAPIKey(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, err := db.MerchantByAPIKey(ctx, key)
		if err != nil || got.ID != m.ID || got.Creditor.IBAN != m.Creditor.IBAN || got.AllowedOrigins[0] != "https://shop.example" {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := db.MerchantByAPIKey(ctx, key+"x"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
	})
	t.Run("KeyStoredHashed", func(t *testing.T) {
		// The key is not in the database file's rows in clear: only its hash can find it.
		if _, err := db.MerchantByAPIKey(ctx, ""); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
	})
}

func TestMerchantIdentity(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	t.Run("NoneAtFirst", func(t *testing.T) {
		if got, err := db.Merchant(ctx, m.ID); err != nil || got.Identity != nil {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		id := &payment.Identity{Scheme: "siren", ID: "552100554", LegalStatus: "SAS"}
		if err := db.SetIdentity(ctx, m.ID, id); err != nil {
			t.Fatal(err)
		}
		// Read at once: the merchant cache must not hide the change.
		got, err := db.Merchant(ctx, m.ID)
		if err != nil || got.Identity == nil || *got.Identity != *id {
			t.Fatalf("%+v %v", got, err)
		}
		if all, err := db.Merchants(ctx); err != nil || all[0].Identity == nil || *all[0].Identity != *id {
			t.Fatalf("list: %v", err)
		}
	})
	t.Run("Removed", func(t *testing.T) {
		if err := db.SetIdentity(ctx, m.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Merchant(ctx, m.ID); err != nil || got.Identity != nil {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if err := db.SetIdentity(ctx, "mer_nobody", &payment.Identity{}); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
	})
}

func TestCreatePaymentIdempotency(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	p1, created, err := db.CreatePayment(ctx, newPayment(m), "k1", "hash-a")
	if err != nil || !created || p1.Status != payment.StatusOpen || len(p1.Token) < 20 {
		t.Fatalf("%+v %v %v", p1, created, err)
	}
	t.Run("SameKeySameBody", func(t *testing.T) {
		p2, created, err := db.CreatePayment(ctx, newPayment(m), "k1", "hash-a")
		if err != nil || created || p2.ID != p1.ID {
			t.Fatalf("%v %v %v", p2.ID, created, err)
		}
	})
	t.Run("ErrIdempotencyMismatch", func(t *testing.T) {
		if _, _, err := db.CreatePayment(ctx, newPayment(m), "k1", "hash-b"); !errors.Is(err, payment.ErrIdempotencyMismatch) {
			t.Fatal(err)
		}
	})
	t.Run("NoKeyTwice", func(t *testing.T) {
		a, _, _ := db.CreatePayment(ctx, newPayment(m), "", "h")
		b, _, _ := db.CreatePayment(ctx, newPayment(m), "", "h")
		if a.ID == b.ID || a.Token == b.Token {
			t.Fatal("payments without a key must be distinct")
		}
	})
}

func TestTransition(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	p, _, _ := db.CreatePayment(ctx, newPayment(m), "", "")
	t.Run("OK", func(t *testing.T) {
		got, err := db.Transition(ctx, p.ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusAuthorising, Cause: payment.CauseShopper})
		if err != nil || got.Status != payment.StatusAuthorising {
			t.Fatal(err)
		}
	})
	t.Run("ErrConflict/StaleFrom", func(t *testing.T) {
		if _, err := db.Transition(ctx, p.ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusAuthorising}); !errors.Is(err, payment.ErrConflict) {
			t.Fatal(err)
		}
	})
	t.Run("ErrConflict/NotAllowed", func(t *testing.T) {
		if _, err := db.Transition(ctx, p.ID, payment.Transition{From: payment.StatusAuthorising, To: payment.StatusAuthorising}); !errors.Is(err, payment.ErrConflict) {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := db.Transition(ctx, "pay_x", payment.Transition{From: payment.StatusOpen, To: payment.StatusFailed}); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
	})
	t.Run("RaceOneWinner", func(t *testing.T) {
		// Callback, poll and webhook may race to the same outcome: exactly one applies it.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.Transition(ctx, p.ID, payment.Transition{From: payment.StatusAuthorising, To: payment.StatusCompleted, Cause: payment.CausePoll, BankStatus: "ACSC"})
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, payment.ErrConflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d winners", wins)
		}
		events, _ := db.Events(ctx, p.ID)
		if len(events) != 3 || events[2].To != payment.StatusCompleted || events[2].BankStatus != "ACSC" {
			t.Fatalf("events %+v", events)
		}
	})
}

func TestEventLogAppendOnly(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	p, _, _ := db.CreatePayment(ctx, newPayment(m), "", "")
	if err := db.ExecForTest(ctx, `UPDATE payment_events SET cause = 'x' WHERE payment_id = ?`, p.ID); err == nil {
		t.Fatal("event log accepted an update")
	}
	if err := db.ExecForTest(ctx, `DELETE FROM payment_events WHERE payment_id = ?`, p.ID); err == nil {
		t.Fatal("event log accepted a delete")
	}
}

func TestAuthorisations(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	p, _, _ := db.CreatePayment(ctx, newPayment(m), "", "")
	a := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "HANDSESS", StateHash: "h1", Extra: map[string]string{"k": "v"}}
	if err := db.CreateAuthorisation(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrConflict/SecondActive", func(t *testing.T) {
		b := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "HANDSESS", StateHash: "h2"}
		if err := db.CreateAuthorisation(ctx, b, false); !errors.Is(err, payment.ErrConflict) {
			t.Fatal(err)
		}
	})
	t.Run("SaveWithTransition", func(t *testing.T) {
		a.BankPaymentID, a.Approach = "bank-1", "decoupled"
		if err := db.SaveAuthorisation(ctx, a, &payment.Transition{From: payment.StatusOpen, To: payment.StatusAuthorising, Cause: payment.CauseShopper, BankBIC: "HANDSESS", Provider: "openpayments"}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.ActiveAuthorisation(ctx, p.ID)
		pp, _ := db.Payment(ctx, p.ID)
		if got.BankPaymentID != "bank-1" || got.Extra["k"] != "v" || pp.Status != payment.StatusAuthorising || pp.BankBIC != "HANDSESS" {
			t.Fatalf("%+v %+v", got, pp)
		}
	})
	t.Run("StateSingleUse", func(t *testing.T) {
		if _, err := db.UseState(ctx, "nope"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
		if got, err := db.UseState(ctx, "h1"); err != nil || got.ID != a.ID {
			t.Fatal(err)
		}
		if _, err := db.UseState(ctx, "h1"); !errors.Is(err, payment.ErrConflict) {
			t.Fatal(err)
		}
		db.ReleaseState(ctx, a.ID)
		if _, err := db.UseState(ctx, "h1"); err != nil {
			t.Fatal("released state not usable again:", err)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		b := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "HANDSESS", StateHash: "h3"}
		if err := db.CreateAuthorisation(ctx, b, true); err != nil {
			t.Fatal(err)
		}
		got, _ := db.ActiveAuthorisation(ctx, p.ID)
		if got.ID != b.ID {
			t.Fatal("replacement not active")
		}
		if _, err := db.UseState(ctx, "h1"); !errors.Is(err, payment.ErrConflict) {
			t.Fatal("state of a retired attempt must be refused")
		}
	})
}

func TestPaymentsPagination(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db := mustOpenDBAt(t, func() time.Time { now = now.Add(time.Second); return now })
	ctx := context.Background()
	m := mustMerchant(t, db)
	var ids []string
	for i := 0; i < 5; i++ {
		p, _, _ := db.CreatePayment(ctx, newPayment(m), "", "")
		ids = append(ids, p.ID)
	}
	page1, next, err := db.Payments(ctx, m.ID, payment.ListFilter{Limit: 2})
	if err != nil || len(page1) != 2 || page1[0].ID != ids[4] || next != ids[3] {
		t.Fatalf("page 1: %v %s %v", page1, next, err)
	}
	page2, next, _ := db.Payments(ctx, m.ID, payment.ListFilter{Limit: 2, Cursor: next})
	page3, next3, _ := db.Payments(ctx, m.ID, payment.ListFilter{Limit: 2, Cursor: next})
	if page2[0].ID != ids[2] || len(page3) != 1 || page3[0].ID != ids[0] || next3 != "" {
		t.Fatal("pagination order")
	}
	open, _, _ := db.Payments(ctx, m.ID, payment.ListFilter{Status: payment.StatusCompleted})
	if len(open) != 0 {
		t.Fatal("status filter")
	}
}

func TestSessionStore(t *testing.T) {
	db := MustOpenDB(t)
	ss := store.NewSessionStore(db, make([]byte, 32), false)
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	s, _ := ss.Get(r, "pbb")
	s.Values["last_bank"] = "HANDSESS"
	if err := s.Save(r, w); err != nil {
		t.Fatal(err)
	}
	c := w.Result().Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || len(c.Value) > 200 {
		t.Fatalf("cookie %+v", c)
	}
	r2 := httptest.NewRequest("GET", "/", nil)
	r2.AddCookie(c)
	s2, _ := ss.Get(r2, "pbb")
	if s2.IsNew || s2.Values["last_bank"] != "HANDSESS" {
		t.Fatalf("session not restored: %+v", s2.Values)
	}
	r3 := httptest.NewRequest("GET", "/", nil)
	r3.AddCookie(&http.Cookie{Name: "pbb", Value: c.Value + "x"})
	if s3, _ := ss.Get(r3, "pbb"); !s3.IsNew {
		t.Fatal("tampered cookie accepted")
	}
}

func TestCreatePaymentGroupCommit(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]int{}
	errs := 0
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newPayment(m)
			key := ""
			switch {
			case i%3 == 0:
				key = "same-key" // twenty requests, one payment
			case i == 1:
				p.MerchantID = "mer_missing" // fails its foreign key, spoils no other
			}
			got, _, err := db.CreatePayment(ctx, p, key, "h")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				return
			}
			ids[got.ID]++
		}()
	}
	wg.Wait()
	if errs != 1 {
		t.Fatalf("%d failures, want the one with a missing merchant", errs)
	}
	same := 0
	for _, n := range ids {
		if n > 1 {
			same = n
		}
	}
	if same != 20 || len(ids) != 40 {
		t.Fatalf("%d distinct payments, keyed one shared by %d", len(ids), same)
	}
	list, _, _ := db.Payments(ctx, m.ID, payment.ListFilter{Limit: 100})
	if len(list) != 40 {
		t.Fatalf("%d payments stored, want 40", len(list))
	}
}

// TestIdempotencyClaims: a key claimed by a process that died is not stuck. The next server,
// holding the lock, releases it at once; without the lock (several servers) the claim's lease
// runs out and the next request takes it over, after which the first claimer's late answer is
// not recorded over the new one.
func TestIdempotencyClaims(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	open := func(t *testing.T, path string) *store.DB {
		db := store.NewDB(path, clock)
		if err := db.Open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	t.Run("ReleasedAtLock", func(t *testing.T) {
		path := freshDSN(t)
		dead := open(t, path)
		m := mustMerchant(t, dead)
		if stored, err := dead.BeginIdempotent(ctx, m.ID, "k", "POST /x", "h"); err != nil || stored != nil {
			t.Fatalf("%v %v", stored, err)
		}
		dead.Close() // kill -9: no answer recorded
		next := open(t, path)
		if err := next.Lock(); err != nil {
			t.Fatal(err)
		}
		if onPostgres(t) {
			// Servers share PostgreSQL: the claim may be a live server's, and only its lease frees it.
			if _, err := next.BeginIdempotent(ctx, m.ID, "k", "POST /x", "h"); !errors.Is(err, store.ErrInProgress) {
				t.Fatalf("after another server started: %v, want the claim kept", err)
			}
			return
		}
		if stored, err := next.BeginIdempotent(ctx, m.ID, "k", "POST /x", "h"); err != nil || stored != nil {
			t.Fatalf("after restart: %v %v, want the key free", stored, err)
		}
	})
	t.Run("LeaseTakenOver", func(t *testing.T) {
		path := freshDSN(t)
		first, second := open(t, path), open(t, path)
		m := mustMerchant(t, first)
		if _, err := first.BeginIdempotent(ctx, m.ID, "k", "POST /x", "h"); err != nil {
			t.Fatal(err)
		}
		if _, err := second.BeginIdempotent(ctx, m.ID, "k", "POST /x", "h"); !errors.Is(err, store.ErrInProgress) {
			t.Fatalf("within the lease: %v", err)
		}
		now = now.Add(store.IdempotencyLease + time.Second)
		if stored, err := second.BeginIdempotent(ctx, m.ID, "k", "POST /x", "h"); err != nil || stored != nil {
			t.Fatalf("after the lease: %v %v", stored, err)
		}
		if err := first.FinishIdempotent(ctx, m.ID, "k", 201, []byte("late")); err != nil {
			t.Fatal(err)
		}
		if err := second.FinishIdempotent(ctx, m.ID, "k", 201, []byte("answer")); err != nil {
			t.Fatal(err)
		}
		stored, err := first.BeginIdempotent(ctx, m.ID, "k", "POST /x", "h")
		if err != nil || stored == nil || string(stored.Body) != "answer" {
			t.Fatalf("replay: %+v %v", stored, err)
		}
	})
}

// TestAttemptFields checks that what the checkout reads of an attempt survives the database in
// columns of its own, and that migration 040 moves an older row's values there out of extra.
func TestAttemptFields(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	p, _, _ := db.CreatePayment(ctx, newPayment(m), "", "")
	a := &payment.Attempt{PaymentID: p.ID, Provider: "sibs", BIC: "BOTPPTPL", Affiliate: "8327", StateHash: "f1",
		Extra: map[string]string{"link_otp": "/otp"}}
	if err := db.CreateAuthorisation(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		a.Approach, a.SCAStatus, a.Hint, a.AuthorizeFirst, a.BankKey = payment.ApproachEmbedded, payment.SCAFinalised, "userSign", true, "BOTPPTPL"
		a.Challenge = &payment.Challenge{Method: "SMS OTP", Information: "Type the code", OTPFormat: "integer", OTPLength: 6}
		a.Accounts = []payment.BankAccount{{Name: "Main", IBAN: "PT50000201231234567890154"}}
		if err := db.SaveAuthorisation(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.ActiveAuthorisationFromDisk(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Affiliate != "8327" || got.Approach != payment.ApproachEmbedded || got.SCAStatus != payment.SCAFinalised ||
			got.Hint != "userSign" || !got.AuthorizeFirst || got.BankKey != "BOTPPTPL" || got.Challenge == nil ||
			*got.Challenge != *a.Challenge || len(got.Accounts) != 1 || got.Accounts[0] != a.Accounts[0] || got.Extra["link_otp"] != "/otp" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("NoAccountsReadIsNil", func(t *testing.T) {
		a.Accounts, a.Challenge = nil, nil
		if err := db.SaveAuthorisation(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ActiveAuthorisationFromDisk(ctx, p.ID); got.Accounts != nil || got.Challenge != nil {
			t.Fatalf("accounts %v, challenge %v", got.Accounts, got.Challenge)
		}
		a.Accounts = []payment.BankAccount{}
		db.SaveAuthorisation(ctx, a, nil)
		if got, _ := db.ActiveAuthorisationFromDisk(ctx, p.ID); got.Accounts == nil {
			t.Fatal("accounts read and none came back as never read")
		}
	})
	t.Run("Migration040MovesExtra", func(t *testing.T) {
		// A row as the checkout wrote it before 040: everything in extra.
		old := `{"affiliate":"8327","hint":"outstandingTransaction","challenge":"SMS OTP","additional_information":"Type it",
			"otp_format":"integer","otp_length":"6","phase":"authorize","bank_key":"BOTPPTPL/8327",
			"accounts":"[{\"Name\":\"Main\",\"IBAN\":\"PT50000201231234567890154\",\"BBAN\":\"\",\"Currency\":\"EUR\"}]",
			"method":"SMS","link_otp":"/otp","access_token":"t"}`
		if err := db.ExecForTest(ctx, `UPDATE authorisations SET extra = ?, affiliate = '', hint = '', challenge_method = '',
			challenge_information = '', otp_format = '', otp_length = 0, authorize_first = 0, bank_key = '', accounts = NULL,
			method = '' WHERE id = ?`, old, a.ID); err != nil {
			t.Fatal(err)
		}
		engine := "sqlite"
		if onPostgres(t) {
			engine = "postgres"
		}
		sql, err := os.ReadFile("migrations/" + engine + "/040_attempt_fields.sql")
		if err != nil {
			t.Fatal(err)
		}
		_, update, ok := strings.Cut(string(sql), "\nUPDATE ")
		if !ok {
			t.Fatal("no UPDATE in migration 040")
		}
		if err := db.ExecForTest(ctx, "UPDATE "+update); err != nil {
			t.Fatal(err)
		}
		got, err := db.ActiveAuthorisationFromDisk(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := payment.Challenge{Method: "SMS OTP", Information: "Type it", OTPFormat: "integer", OTPLength: 6}
		if got.Affiliate != "8327" || got.Hint != "outstandingTransaction" || got.Challenge == nil || *got.Challenge != want ||
			!got.AuthorizeFirst || got.BankKey != "BOTPPTPL/8327" || len(got.Accounts) != 1 || got.Accounts[0].Currency != "EUR" ||
			got.Method != "SMS" {
			t.Fatalf("%+v %+v", got, got.Challenge)
		}
		if len(got.Extra) != 2 || got.Extra["link_otp"] != "/otp" || got.Extra["access_token"] != "t" {
			t.Fatalf("extra kept %v; want only the provider's own state", got.Extra)
		}
	})
}
