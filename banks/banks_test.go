package banks

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPSUHeader(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"203.0.113.9:4711", "203.0.113.9"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"fe80::1%eth0", "fe80::1"},
		{"localhost", ""},
		{"", ""},
	} {
		h := PSU{IPAddress: tc.in, UserAgent: "UA"}.Header()
		if got := h.Get("PSU-IP-Address"); got != tc.want {
			t.Errorf("%q: PSU-IP-Address %q, want %q", tc.in, got, tc.want)
		}
		if h.Get("PSU-User-Agent") != "UA" {
			t.Errorf("%q: user agent lost", tc.in)
		}
	}
	if _, ok := (PSU{}).Header()["Psu-User-Agent"]; ok {
		t.Error("an empty user agent must be left out")
	}
}

func TestBankCache(t *testing.T) {
	c := BankCache{TTL: time.Hour}
	calls := 0
	fetch := func(context.Context) ([]Bank, error) {
		calls++
		if calls == 1 {
			return nil, errors.New("down")
		}
		return []Bank{{BIC: "X"}}, nil
	}
	if _, err := c.Get(context.Background(), fetch); err == nil {
		t.Fatal("a failed fetch must fail")
	}
	for i := 0; i < 3; i++ {
		if l, err := c.Get(context.Background(), fetch); err != nil || len(l) != 1 {
			t.Fatal(l, err)
		}
	}
	if calls != 2 {
		t.Fatalf("%d fetches: a failure is not cached, a success is", calls)
	}
}
