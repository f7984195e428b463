package webhooks

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1:248:1893:25c8:1946": true, "8.8.8.8": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.20.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fd00::1": false, "fe80::1": false, "::ffff:10.0.0.1": false,
		"::ffff:93.184.216.34": true, "224.0.0.1": false, "255.255.255.255": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// In production a merchant's endpoint that is (or resolves to) our own network is never called.
func TestPublicOnlyClientRefusesPrivateAddresses(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	defer srv.Close()
	c := PublicOnlyClient(2 * time.Second)
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		if _, err := c.Get(u); err == nil || !strings.Contains(err.Error(), "not a public address") {
			t.Fatalf("%s: %v", u, err)
		}
	}
	if called {
		t.Fatal("the private endpoint was reached")
	}
}

// IPv6 forms that embed an IPv4 address reach that IPv4 host through a translator or tunnel:
// they are public only when the embedded address is.
func TestPublicEmbeddedIPv4(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"64:ff9b::a9fe:a9fe", false},                // NAT64 of 169.254.169.254 (cloud metadata)
		{"64:ff9b::7f00:1", false},                   // NAT64 of 127.0.0.1
		{"64:ff9b::10.0.0.1", false},                 // NAT64 of a private address
		{"64:ff9b::808:808", true},                   // NAT64 of 8.8.8.8
		{"64:ff9b:1::7f00:1", false},                 // local-use NAT64
		{"::127.0.0.1", false},                       // IPv4-compatible loopback
		{"::169.254.169.254", false},                 // IPv4-compatible metadata
		{"::10.1.2.3", false},                        // IPv4-compatible private
		{"::8.8.8.8", true},                          // IPv4-compatible public
		{"::ffff:127.0.0.1", false},                  // IPv4-mapped loopback
		{"::ffff:0:127.0.0.1", false},                // IPv4-translated loopback
		{"::ffff:0:8.8.8.8", true},                   // IPv4-translated public
		{"2002:7f00:1::1", false},                    // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::", false},                  // 6to4 of 169.254.169.254
		{"2002:c0a8:101::1", false},                  // 6to4 of 192.168.1.1
		{"2002:808:808::1", true},                    // 6to4 of 8.8.8.8
		{"2001:0:7f00:1::808:808", false},            // Teredo, server 127.0.0.1
		{"2001:0:808:808::80ff:fffe", false},         // Teredo, client 127.0.0.1 (inverted)
		{"2001:0:808:808::5601:5601", false},         // Teredo, client 169.254.169.254 (inverted)
		{"2001:0:808:808:0:0:f7f7:f7f7", true},       // Teredo, server and client 8.8.8.8
		{"2606:2800:220:1:248:1893:25c8:1946", true}, // plain public IPv6
	} {
		if got := Public(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Public(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

// The dial-time check refuses the embedded forms before any connection is made.
func TestPublicOnlyClientRefusesEmbeddedIPv4(t *testing.T) {
	c := PublicOnlyClient(2 * time.Second)
	for _, u := range []string{"http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::7f00:1]:8080/", "http://[::127.0.0.1]/", "http://[2002:7f00:1::1]/"} {
		if _, err := c.Get(u); err == nil || !strings.Contains(err.Error(), "not a public address") {
			t.Errorf("%s: %v, want refused as not public", u, err)
		}
	}
}
