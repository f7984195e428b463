package store_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"paybybank/payment"
	"paybybank/store"
)

// Every write of a payment shows in the next read, though reads are served from memory.
func TestPaymentCacheFollowsEveryWrite(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	p, _, err := db.CreatePayment(ctx, newPayment(m), "", "")
	if err != nil {
		t.Fatal(err)
	}
	same := func(t *testing.T) *payment.Payment {
		t.Helper()
		byID, err := db.Payment(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		byToken, err := db.PaymentByToken(ctx, p.Token)
		if err != nil {
			t.Fatal(err)
		}
		disk, err := db.PaymentFromDisk(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(byID, disk) || !reflect.DeepEqual(byToken, disk) {
			t.Fatalf("cache and file differ:\nby id    %+v\nby token %+v\nfile     %+v", byID, byToken, disk)
		}
		return byID
	}
	same(t) // fills the cache
	steps := []struct {
		name  string
		write func() error
		check func(*payment.Payment) bool
	}{
		{"SetDebtor", func() error {
			return db.SetDebtor(ctx, p.ID, payment.Account{Country: "SE", ClearingNumber: "6789", BBAN: "123456789"})
		}, func(p *payment.Payment) bool { return p.Debtor != nil && p.Debtor.BBAN == "123456789" }},
		{"SetBank", func() error { return db.SetBank(ctx, p.ID, "ESSESESS", "openpayments") },
			func(p *payment.Payment) bool { return p.BankBIC == "ESSESESS" }},
		{"SaveAuthorisation", func() error {
			a := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "HANDSESS", StateHash: "h1"}
			if err := db.CreateAuthorisation(ctx, a, false); err != nil {
				return err
			}
			return db.SaveAuthorisation(ctx, a, &payment.Transition{From: payment.StatusOpen, To: payment.StatusAuthorising,
				Cause: payment.CauseShopper, BankBIC: "HANDSESS", Provider: "openpayments"})
		}, func(p *payment.Payment) bool { return p.Status == payment.StatusAuthorising && p.BankBIC == "HANDSESS" }},
		{"SetBankStatus", func() error { return db.SetBankStatus(ctx, p.ID, "RCVD") },
			func(p *payment.Payment) bool { return p.BankStatus == "RCVD" }},
		{"Transition", func() error {
			_, err := db.Transition(ctx, p.ID, payment.Transition{From: payment.StatusAuthorising, To: payment.StatusCompleted,
				Cause: payment.CausePoll, BankStatus: "ACSC"})
			return err
		}, func(p *payment.Payment) bool { return p.Status == payment.StatusCompleted && p.BankStatus == "ACSC" }},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.write(); err != nil {
				t.Fatal(err)
			}
			if got := same(t); !s.check(got) {
				t.Fatalf("write not visible: %+v", got)
			}
		})
	}
	t.Run("RefusedWriteChangesNothing", func(t *testing.T) {
		_, err := db.Transition(ctx, p.ID, payment.Transition{From: payment.StatusAuthorising, To: payment.StatusFailed, Cause: payment.CausePoll})
		if !errors.Is(err, payment.ErrConflict) {
			t.Fatal(err)
		}
		if got := same(t); got.Status != payment.StatusCompleted {
			t.Fatal(got.Status)
		}
	})
	t.Run("CallersGetTheirOwnCopy", func(t *testing.T) {
		got, _ := db.Payment(ctx, p.ID)
		got.Status, got.Debtor.BBAN, got.Creditor.Name = payment.StatusFailed, "0", "Someone else"
		got.Metadata = map[string]string{"x": "y"}
		same(t)
		if again, _ := db.Payment(ctx, p.ID); again.Status != payment.StatusCompleted || again.Debtor.BBAN != "123456789" {
			t.Fatalf("a caller's change leaked into the cache: %+v", again)
		}
	})
	t.Run("OtherMerchant", func(t *testing.T) {
		if _, err := db.MerchantPayment(ctx, "mer_other", p.ID); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
	})
}

// Readers and writers at once: once the writes are done, what the cache serves is what the file holds.
func TestPaymentCacheUnderConcurrentWrites(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	var ids []string
	for range 8 {
		p, _, err := db.CreatePayment(ctx, newPayment(m), "", "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, id := range ids {
					db.Payment(ctx, id)
				}
			}
		}()
	}
	for round := range 40 {
		for _, id := range ids {
			if err := db.SetBankStatus(ctx, id, []string{"RCVD", "PDNG"}[round%2]); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	for _, id := range ids {
		got, _ := db.Payment(ctx, id)
		disk, _ := db.PaymentFromDisk(ctx, id)
		if !reflect.DeepEqual(got, disk) {
			t.Fatalf("stale payment served: cache %s, file %s", got.BankStatus, disk.BankStatus)
		}
	}
}

// A session's values change with every save and vanish with a delete, cached or not.
func TestSessionCacheFollowsWrites(t *testing.T) {
	db := MustOpenDB(t)
	ss := store.NewSessionStore(db, make([]byte, 32), false)
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	s, _ := ss.Get(r, "pbb")
	s.Values["lang"] = "sv"
	if err := s.Save(r, w); err != nil {
		t.Fatal(err)
	}
	c := w.Result().Cookies()[0]
	load := func() map[any]any {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(c)
		s, err := ss.Get(r, "pbb")
		if err != nil {
			t.Fatal(err)
		}
		return s.Values
	}
	if v := load(); v["lang"] != "sv" {
		t.Fatal(v)
	}
	// Changing a loaded session's values in memory changes nothing stored.
	v := load()
	v["lang"] = "de"
	if v := load(); v["lang"] != "sv" {
		t.Fatal("a request's change leaked into the cache:", v)
	}
	r2 := httptest.NewRequest("GET", "/", nil)
	r2.AddCookie(c)
	s2, _ := ss.Get(r2, "pbb")
	s2.Values["lang"] = "nb"
	if err := s2.Save(r2, httptest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	if v := load(); v["lang"] != "nb" {
		t.Fatal("saved value not served:", v)
	}
	s2.Options.MaxAge = -1
	s2.Save(r2, httptest.NewRecorder())
	if v := load(); len(v) != 0 {
		t.Fatal("deleted session still served:", v)
	}
}

// One server per database file: the row caches are exact only then.
func TestLockRefusesASecondServer(t *testing.T) {
	path := t.TempDir() + "/one.db"
	a, b := store.NewDB(path, nil), store.NewDB(path, nil)
	for _, db := range []*store.DB{a, b} {
		if err := db.Open(); err != nil {
			t.Fatal(err)
		}
	}
	defer b.Close()
	if err := a.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := b.Lock(); err == nil {
		t.Fatal("a second server on the same file was allowed")
	}
	a.Close()
	if err := b.Lock(); err != nil {
		t.Fatal("the lock outlived its server:", err)
	}
}

// Every write of an authorisation shows in the next read of the payment's active one.
func TestAuthorisationCacheFollowsEveryWrite(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	p, _, _ := db.CreatePayment(ctx, newPayment(m), "", "")
	a := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "HANDSESS", StateHash: "s1", Extra: map[string]string{"k": "v"}}
	if err := db.CreateAuthorisation(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	same := func(t *testing.T) *payment.Attempt {
		t.Helper()
		got, err1 := db.ActiveAuthorisation(ctx, p.ID)
		disk, err2 := db.ActiveAuthorisationFromDisk(ctx, p.ID)
		if !errors.Is(err1, err2) && (err1 != nil || err2 != nil) {
			t.Fatalf("cache says %v, file says %v", err1, err2)
		}
		if !reflect.DeepEqual(got, disk) {
			t.Fatalf("cache and file differ:\ncache %+v\nfile  %+v", got, disk)
		}
		return got
	}
	same(t)
	t.Run("SaveAuthorisation", func(t *testing.T) {
		a.BankPaymentID, a.SCAStatus, a.Extra["k"] = "bank-1", "started", "w"
		if err := db.SaveAuthorisation(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if got := same(t); got.SCAStatus != "started" || got.Extra["k"] != "w" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("UseState", func(t *testing.T) {
		if _, err := db.UseState(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
		if got := same(t); got.StateUsedAt.IsZero() {
			t.Fatal("state use not visible")
		}
	})
	t.Run("ReleaseState", func(t *testing.T) {
		if err := db.ReleaseState(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := same(t); !got.StateUsedAt.IsZero() {
			t.Fatal("release not visible")
		}
	})
	t.Run("CallersGetTheirOwnCopy", func(t *testing.T) {
		got, _ := db.ActiveAuthorisation(ctx, p.ID)
		got.SCAStatus, got.Extra["k"] = "failed", "x"
		if again := same(t); again.SCAStatus != "started" || again.Extra["k"] != "w" {
			t.Fatalf("a caller's change leaked into the cache: %+v", again)
		}
	})
	t.Run("MergeExtra", func(t *testing.T) {
		// Another request wrote meanwhile; a provider's new tokens must not undo it.
		other, _ := db.ActiveAuthorisation(ctx, p.ID)
		other.Extra["hint"] = "outstandingTransaction"
		if err := db.SaveAuthorisation(ctx, other, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.MergeAuthorisationExtra(ctx, a, map[string]string{"refresh_token": "r2"}); err != nil {
			t.Fatal(err)
		}
		if got := same(t); got.Extra["refresh_token"] != "r2" || got.Extra["hint"] != "outstandingTransaction" || got.Extra["k"] != "w" {
			t.Fatalf("merge lost something: %v", got.Extra)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		b := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "ESSESESS", StateHash: "s2"}
		if err := db.CreateAuthorisation(ctx, b, true); err != nil {
			t.Fatal(err)
		}
		if got := same(t); got.ID != b.ID {
			t.Fatalf("retired attempt still served: %s", got.ID)
		}
	})
	t.Run("Retire", func(t *testing.T) {
		b, _ := db.ActiveAuthorisation(ctx, p.ID)
		b.Active = false
		if err := db.SaveAuthorisation(ctx, b, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ActiveAuthorisation(ctx, p.ID); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("no attempt is active, yet: %v", err)
		}
	})
}

// Many write transactions at once on a fresh server, each the first to run its statement: none
// may wait for a connection to prepare it while holding the write lock (they used to stall for the
// busy timeout and fail with SQLITE_BUSY).
func TestConcurrentFirstWrites(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	var ids []string
	for range 32 {
		p, _, err := db.CreatePayment(ctx, newPayment(m), "", "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	ss := store.NewSessionStore(db, make([]byte, 32), false)
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.SetBankStatus(ctx, id, "RCVD")
			errs <- db.SetDebtor(ctx, id, payment.Account{Country: "SE", BBAN: "123"})
			r := httptest.NewRequest("GET", "/", nil)
			s, _ := ss.Get(r, "pbb")
			s.Values["n"] = strconv.Itoa(i)
			errs <- s.Save(r, httptest.NewRecorder())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
