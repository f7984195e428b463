package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

// TestCompressedRoutes checks the route table's compression: pages and static text gzipped with
// Vary: Accept-Encoding, the event stream and the QR image never.
func TestCompressedRoutes(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	h.Get(path) // the session
	h.ChooseBank(path, "HANDSESS")
	gz := func(p string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", h.Srv.URL+p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := h.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for _, p := range []string{path, "/static/app.css", "/static/live.js", "/api/openapi.json"} {
		resp, raw := gz(p)
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Content-Encoding %q, Vary %q", p, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || len(plain) <= len(raw) {
			t.Errorf("%s: %d gzipped bytes for %d: %v", p, len(raw), len(plain), err)
		}
	}
	resp, _ := gz(path + "/qr.png")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("QR image: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	req, _ := http.NewRequest("GET", h.Srv.URL+path+"/events?page=bankid", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	c := *h.Client
	c.Timeout = 3 * time.Second
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, first); err != nil || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Type") != "text/event-stream" || string(first) != "retry:" {
		t.Errorf("event stream: Content-Encoding %q, begins %q: %v", resp.Header.Get("Content-Encoding"), first, err)
	}
}
