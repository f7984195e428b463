package handlers

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote, xff string
		trusted           bool
		want              string
	}{
		{"no proxy configured: the connection", "10.1.2.3:4000", "203.0.113.9", false, "10.1.2.3"},
		{"untrusted peer: its header is ignored", "198.51.100.1:4000", "203.0.113.9", true, "198.51.100.1"},
		{"trusted proxy: the shopper", "10.1.2.3:4000", "203.0.113.9", true, "203.0.113.9"},
		{"a forged left part is skipped", "10.1.2.3:4000", "1.1.1.1, 203.0.113.9", true, "203.0.113.9"},
		{"two proxies", "192.0.2.7:443", "203.0.113.9, 10.9.9.9", true, "203.0.113.9"},
		{"several headers", "10.1.2.3:4000", "", true, "203.0.113.10"},
		{"garbage hop", "10.1.2.3:4000", "203.0.113.9, nonsense", true, "10.1.2.3"},
		{"only proxies", "10.1.2.3:4000", "10.2.2.2", true, "10.1.2.3"},
		{"IPv6 shopper", "10.1.2.3:4000", "2001:db8::1", true, "2001:db8::1"},
	} {
		s := &Server{}
		if tc.trusted {
			s.cfg.TrustedProxies = proxies
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.name == "several headers" {
			r.Header.Add("X-Forwarded-For", "198.51.100.5")
			r.Header.Add("X-Forwarded-For", "203.0.113.10")
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,nope"); err == nil {
		t.Error("a bad entry must be refused")
	}
}
