package webhooks

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// nonPublic lists the address ranges a merchant's endpoint may not resolve to in production:
// our own host, private networks and cloud metadata services are not a merchant's to reach
// through us (server-side request forgery).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this" network
	netip.MustParsePrefix("10.0.0.0/8"),     // private
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),  // private
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("192.168.0.0/16"), // private
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("::1/128"),        // loopback
	netip.MustParsePrefix("fc00::/7"),       // unique local
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("ff00::/8"),       // multicast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped: checked as IPv4 below
}

// embedding lists the IPv6 ranges that carry an IPv4 address inside them, and where: a packet
// to such an address reaches that IPv4 host through a translator or tunnel (often one run by
// our own network or cloud), so the IPv4 address must be public too. at is the byte offset of
// the IPv4 address; xor is applied to it (Teredo stores its client address inverted).
var embedding = []struct {
	prefix netip.Prefix
	at     int
	xor    byte
}{
	{netip.MustParsePrefix("64:ff9b::/96"), 12, 0},    // NAT64, well-known prefix (RFC 6052)
	{netip.MustParsePrefix("::/96"), 12, 0},           // IPv4-compatible (deprecated, RFC 4291)
	{netip.MustParsePrefix("::ffff:0:0:0/96"), 12, 0}, // IPv4-translated (RFC 2765)
	{netip.MustParsePrefix("2002::/16"), 2, 0},        // 6to4 (RFC 3056): bits 16–47
	{netip.MustParsePrefix("2001::/32"), 4, 0},        // Teredo server (RFC 4380): bits 32–63
	{netip.MustParsePrefix("2001::/32"), 12, 0xff},    // Teredo client: the last 32 bits, inverted
}

// Public reports whether ip is an address a webhook may be delivered to in production: not in
// a non-public range, and, for IPv6 forms that embed an IPv4 address (NAT64, IPv4-compatible,
// 6to4, Teredo), with that IPv4 address public too.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		for _, e := range embedding {
			if !e.prefix.Contains(ip) {
				continue
			}
			v4 := netip.AddrFrom4([4]byte{b[e.at] ^ e.xor, b[e.at+1] ^ e.xor, b[e.at+2] ^ e.xor, b[e.at+3] ^ e.xor})
			if !Public(v4) {
				return false
			}
		}
	}
	return true
}

// PublicOnlyClient is the production webhook client: it connects only to public addresses, checked
// on the address actually dialled, after DNS (so a name that resolves, or re-resolves, to a private
// address is refused too, and so is a redirect to one).
func PublicOnlyClient(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook endpoint address %q: %w", address, err)
		}
		if !Public(ap.Addr()) {
			return fmt.Errorf("webhook endpoint %s is not a public address", ap.Addr())
		}
		return nil
	}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.Proxy = nil // a proxy would dial for us, past the check
	return &http.Client{Timeout: timeout, Transport: tr}
}
