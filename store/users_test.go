package store_test

import (
	"encoding/base32"
	"errors"
	"testing"
	"time"

	"paybybank/payment"
	"paybybank/store"
)

// RFC 6238 appendix B's SHA-1 test vectors, cut to 6 digits (the last six of the 8-digit codes).
func TestTOTPCode(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		if got := store.TOTPCode(secret, time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("T=%d: %s, want %s", tt.unix, got, tt.want)
		}
	}
}

func TestUsers(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	db := store.NewDB(freshDSN(t), func() time.Time { return now })
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := mustMerchant(t, db)

	t.Run("PasswordLink", func(t *testing.T) {
		u, token, err := db.CreateUser(ctx, m.ID, " Ann@Example.com ", store.RoleOwner)
		if err != nil || u.Email != "ann@example.com" || u.HasPassword {
			t.Fatalf("%+v %v", u, err)
		}
		if _, _, err := db.CreateUser(ctx, m.ID, "ann@example.com", store.RoleViewer); !errors.Is(err, store.ErrEmailTaken) {
			t.Fatalf("same e-mail twice: %v", err)
		}
		var fe *payment.FieldError
		if _, err := db.SetPassword(ctx, token, "short"); !errors.As(err, &fe) {
			t.Fatalf("short password: %v", err)
		}
		if _, err := db.SetPassword(ctx, token, "twelve chars"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetPassword(ctx, token, "twelve chars again"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("a link used twice: %v", err)
		}
		if _, err := db.CheckPassword(ctx, "ANN@example.com", "twelve chars"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][2]string{{"ann@example.com", "twelve charz"}, {"nobody@example.com", "twelve chars"}} {
			if _, err := db.CheckPassword(ctx, bad[0], bad[1]); !errors.Is(err, store.ErrBadCredentials) {
				t.Errorf("%v: %v", bad, err)
			}
		}
	})
	t.Run("ErrNotFound/Expired", func(t *testing.T) {
		_, token, err := db.CreateUser(ctx, m.ID, "late@example.com", store.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(25 * time.Hour)
		if _, err := db.SetPassword(ctx, token, "twelve chars"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("an expired link: %v", err)
		}
	})
	t.Run("LastOwner", func(t *testing.T) {
		users, err := db.Users(ctx, m.ID)
		if err != nil || len(users) == 0 {
			t.Fatalf("users: %v %v", users, err)
		}
		if err := db.SetRole(ctx, m.ID, users[0].ID, store.RoleViewer); !errors.Is(err, store.ErrLastOwner) {
			t.Fatalf("demoting the last owner: %v", err)
		}
		if err := db.SetRole(ctx, "other", users[0].ID, store.RoleOwner); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("another merchant's person: %v", err)
		}
	})
	t.Run("TOTPNoReuse", func(t *testing.T) {
		users, _ := db.Users(ctx, m.ID)
		id := users[0].ID
		secret := store.NewTOTPSecret()
		if err := db.EnableTOTP(ctx, id, secret, "123456x"); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatal(err)
		}
		if err := db.EnableTOTP(ctx, id, secret, store.TOTPCode(secret, now)); err != nil {
			t.Fatal(err)
		}
		if err := db.UseTOTP(ctx, id, store.TOTPCode(secret, now)); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("a code used twice: %v", err)
		}
		if err := db.UseTOTP(ctx, id, store.TOTPCode(secret, now.Add(30*time.Second))); err != nil {
			t.Fatalf("the next step's code (clock drift): %v", err)
		}
		if err := db.UseTOTP(ctx, id, store.TOTPCode(secret, now.Add(90*time.Second))); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("a code three steps ahead: %v", err)
		}
	})
	t.Run("Sessions", func(t *testing.T) {
		users, _ := db.Users(ctx, m.ID)
		id := users[0].ID
		a, _ := db.StartUserSession(ctx, id, "192.0.2.1")
		b, _ := db.StartUserSession(ctx, id, "192.0.2.2")
		if u, err := db.SessionUser(ctx, a); err != nil || u.ID != id {
			t.Fatal(u, err)
		}
		if n, err := db.EndUserSessions(ctx, id); err != nil || n != 2 {
			t.Fatalf("%d %v", n, err)
		}
		for _, tok := range []string{a, b} {
			if _, err := db.SessionUser(ctx, tok); !errors.Is(err, payment.ErrNotFound) {
				t.Fatalf("an ended session: %v", err)
			}
		}
		c, _ := db.StartUserSession(ctx, id, "192.0.2.1")
		now = now.Add(13 * time.Hour)
		if _, err := db.SessionUser(ctx, c); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("an expired session: %v", err)
		}
	})
	t.Run("SignInFailures", func(t *testing.T) {
		for range 3 {
			db.RecordSignInFailure(ctx, "Ann@example.com", "192.0.2.9")
		}
		if n, _ := db.SignInFailures(ctx, "account", "ann@example.com", 15*time.Minute); n != 3 {
			t.Fatalf("%d account failures", n)
		}
		now = now.Add(16 * time.Minute)
		if n, _ := db.SignInFailures(ctx, "ip", "192.0.2.9", 15*time.Minute); n != 0 {
			t.Fatalf("%d failures outside the window", n)
		}
	})
	t.Run("Audit", func(t *testing.T) {
		for _, a := range []string{"key.create", "key.revoke", "user.invite"} {
			if err := db.Audit(ctx, store.AuditEntry{MerchantID: m.ID, UserID: "u", Email: "ann@example.com", Action: a, IP: "192.0.2.1"}); err != nil {
				t.Fatal(err)
			}
		}
		page, next, err := db.AuditLog(ctx, m.ID, 0, 2)
		if err != nil || len(page) != 2 || page[0].Action != "user.invite" || next == 0 {
			t.Fatalf("%+v %d %v", page, next, err)
		}
		page, next, _ = db.AuditLog(ctx, m.ID, next, 2)
		if len(page) != 1 || page[0].Action != "key.create" || next != 0 {
			t.Fatalf("%+v %d", page, next)
		}
	})
}
