package main

import (
	"net/url"
	"testing"
)

// FuzzCallback throws arbitrary query strings at /callback: every one must get a clear answer
// (an error page) and none may change a payment.
func FuzzCallback(f *testing.F) {
	f.Add("state=abc&code=def")
	f.Add("state=&code=")
	f.Add("error=access_denied&state=%00")
	f.Add("state=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&code=x&scope=paymentinitiation")
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		h := newHarness(t)
		id, _ := h.createPayment("")
		resp, _ := h.get("/callback?" + vals.Encode())
		if resp.StatusCode != 400 {
			t.Fatalf("callback %q answered %d", q, resp.StatusCode)
		}
		if st, _ := h.status(id); st != "open" {
			t.Fatalf("callback %q changed a payment to %s", q, st)
		}
	})
}
