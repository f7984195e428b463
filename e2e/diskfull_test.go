package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

// TestStorageUnavailable makes the database refuse writes for real, as a full disk and as a file
// gone read-only do: creation answers 503 storage_unavailable with Retry-After, a shopper's
// choice gets the friendly "try again" page, /readyz says not ready, and all of it recovers by
// itself once writes succeed again.
func TestStorageUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name, fail, lift string
		// shopper: whether the shopper's small write surely fails too (a full file may still
		// have room in a page for it).
		shopper bool
	}{
		// max_page_count below the file's size caps it at its size: the file cannot grow.
		{"DiskFull", "PRAGMA max_page_count = 1", "PRAGMA max_page_count = 1073741823", false},
		{"ReadOnly", "PRAGMA query_only = 1", "PRAGMA query_only = 0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e2etest.New(t)
			ctx := context.Background()
			body := `{"amount":"249.00","currency":"SEK","reference":"Order 1001","return_url":"` + h.Srv.URL + `/demo/return"}`
			create := func() (int, string, map[string]any) {
				resp, b := h.Do("POST", "/api/v1/payments", strings.NewReader(body), map[string]string{"Authorization": "Bearer " + h.Key, "Content-Type": "application/json"})
				var p map[string]any
				json.Unmarshal([]byte(b), &p)
				return resp.StatusCode, resp.Header.Get("Retry-After"), p
			}
			ready := func(want int) {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second) // the probe's answer stands for a second
				for {
					resp, _ := h.Get("/readyz")
					if resp.StatusCode == want {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("/readyz is %d, want %d", resp.StatusCode, want)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			ready(200)
			_, path := h.CreatePayment("")
			_, page := h.Get(path)
			csrf := h.CSRF(page)

			if err := h.DB.ExecEveryConn(ctx, tc.fail); err != nil {
				t.Fatal(err)
			}
			code, retry, prob := create()
			for i := 0; code == 201 && i < 2000; i++ { // fill what room the file has left
				code, retry, prob = create()
			}
			if code != 503 || retry == "" || prob["code"] != "storage_unavailable" {
				t.Fatalf("creation with the database unable to write: %d Retry-After %q %v", code, retry, prob)
			}
			ready(503)
			if tc.shopper {
				resp, page := h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}})
				e2etest.ExpectCode(t, resp, 503)
				if resp.Header.Get("Retry-After") == "" || !strings.Contains(page, "We cannot save anything just now") || !strings.Contains(page, path) {
					t.Fatalf("shopper's page with the database unable to write: Retry-After %q\n%s", resp.Header.Get("Retry-After"), page)
				}
			}

			if err := h.DB.ExecEveryConn(ctx, tc.lift); err != nil {
				t.Fatal(err)
			}
			ready(200)
			if code, _, prob := create(); code != 201 {
				t.Fatalf("creation after recovery: %d %v", code, prob)
			}
			if tc.shopper {
				resp, _ := h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}})
				e2etest.ExpectCode(t, resp, 303)
			}
		})
	}
}
