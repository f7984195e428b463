package handlers

import "testing"

func TestLimiter(t *testing.T) {
	l := newLimiter(1, 3)
	for i := 0; i < 3; i++ {
		if !l.allow("192.0.2.1") {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	if l.allow("192.0.2.1") {
		t.Fatal("fourth request in the same instant allowed")
	}
	if !l.allow("192.0.2.2") {
		t.Fatal("another client shares the bucket")
	}
	if off := newLimiter(0, 0); !off.allow("x") {
		t.Fatal("a limit of 0 must be off")
	}
}

func TestLogPathHidesTokens(t *testing.T) {
	for in, want := range map[string]string{
		"/checkout/abcdef/status": "/checkout/…/status", "/checkout/abcdef": "/checkout/…", "/api/v1/payments": "/api/v1/payments",
	} {
		if got := logPath(in); got != want {
			t.Errorf("%s → %s", in, got)
		}
	}
}

func TestValidWebhookURLInProduction(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://shop.example/hooks": true, "https://93.184.216.34/h": true,
		"https://10.0.0.5/h": false, "https://169.254.169.254/latest": false, "https://[::1]/h": false,
		"https://[fd00::1]:8443/h": false, "http://shop.example/h": false, "http://127.0.0.1:9000/h": false,
	} {
		if err := ValidWebhookURL(raw, true); (err == nil) != ok {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if err := ValidWebhookURL("http://127.0.0.1:9000/h", false); err != nil {
		t.Errorf("development must allow a loopback endpoint: %v", err)
	}
}
