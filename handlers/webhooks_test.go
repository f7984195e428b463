package handlers

import "testing"

// In production an endpoint given as an address is refused when it is set, IPv6 forms that
// embed a private IPv4 address included; names are checked when dialled.
func TestValidWebhookURLProduction(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://[64:ff9b::a9fe:a9fe]/hook", false},
		{"https://[64:ff9b::7f00:1]/hook", false},
		{"https://[::127.0.0.1]/hook", false},
		{"https://[::ffff:10.0.0.1]/hook", false},
		{"https://[2002:a9fe:a9fe::1]/hook", false},
		{"https://[2001:0:808:808::80ff:fffe]/hook", false},
		{"https://169.254.169.254/latest", false},
		{"https://[64:ff9b::808:808]/hook", true},
		{"https://[2606:2800:220:1:248:1893:25c8:1946]/hook", true},
		{"https://93.184.216.34/hook", true},
		{"https://shop.example.com/hook", true},
	} {
		err := ValidWebhookURL(tc.url, true)
		if (err == nil) != tc.ok {
			t.Errorf("ValidWebhookURL(%s) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}
