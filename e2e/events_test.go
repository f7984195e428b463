package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

type streamEvent struct {
	Status, Next, QR, Message string
	QRData                    string `json:"qr_data"`
}

// openStream opens a checkout's event stream and delivers its events until it ends.
func openStream(h *e2etest.Harness, path string) (*http.Response, <-chan streamEvent) {
	h.T.Helper()
	req, _ := http.NewRequest("GET", h.Srv.URL+path+"/events?page=bankid", nil)
	resp, err := h.Client.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	events := make(chan streamEvent)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e streamEvent
				json.Unmarshal([]byte(data), &e)
				events <- e
			}
		}
	}()
	return resp, events
}

func nextEvent(t *testing.T, events <-chan streamEvent) (streamEvent, bool) {
	t.Helper()
	select {
	case e, ok := <-events:
		return e, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return streamEvent{}, false
}

// The BankID page's event stream: a fresh frame each second, and the way on once the shopper has
// signed, after which the stream ends.
func TestEventStream(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	resp, events := openStream(h, path)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("stream answer: %d %v", resp.StatusCode, resp.Header)
	}
	first, _ := nextEvent(t, events)
	if !strings.HasPrefix(first.QRData, "bankid.") || first.Status != "authorising" || first.Message == "" {
		t.Fatalf("first event: %+v", first)
	}
	h.Clock.Add(time.Second)
	second := first
	for i := 0; i < 3 && second.QRData == first.QRData; i++ {
		second, _ = nextEvent(t, events)
	}
	if second.QRData == first.QRData {
		t.Fatal("the stream repeats the same frame")
	}
	_, body := h.Scan(second.QRData)
	h.Sign(body, "approve")
	for {
		e, ok := nextEvent(t, events)
		if !ok {
			t.Fatal("stream ended without telling the page where to go")
		}
		if e.Next != "" {
			if e.Next != path {
				t.Fatalf("next %q", e.Next)
			}
			break
		}
	}
	if _, ok := nextEvent(t, events); ok {
		t.Fatal("the stream went on after sending the page on")
	}

	t.Run("UnknownPayment", func(t *testing.T) {
		resp, _ := h.Get("/checkout/no-such-token-0000000000/events")
		e2etest.ExpectCode(t, resp, 404)
	})
	t.Run("EndsOnShutdown", func(t *testing.T) {
		_, path := h.CreatePayment("")
		e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
		_, events := openStream(h, path)
		nextEvent(t, events)
		h.App.EndStreams()
		for {
			if _, ok := nextEvent(t, events); !ok {
				return
			}
		}
	})
}

// The server's read and write time-outs are for whole requests (main.go sets 30 s and 60 s); a
// stream lives longer and must not be cut by them.
func TestEventStreamOutlivesServerTimeouts(t *testing.T) {
	h := e2etest.New(t)
	h.Srv.Config.ReadTimeout, h.Srv.Config.WriteTimeout = time.Second, 2*time.Second
	_, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	h.Client.CloseIdleConnections() // the stream gets a connection under the short time-outs
	_, events := openStream(h, path)
	deadline := time.Now().Add(4 * time.Second)
	n := 0
	for time.Now().Before(deadline) {
		if _, ok := nextEvent(t, events); !ok {
			t.Fatalf("the stream ended after %d events, cut by the server's time-outs", n)
		}
		n++
	}
}

// When the bank's animated QR code has not turned since the last tick, the stream asks again a
// moment later instead of sending the same frame: the shopper's camera always gets the newest.
// (Here the clock stands still, so the code never turns: each tick costs two polls, and the
// frame is sent after the second.)
func TestEventStreamAsksAgainOnAnUnturnedFrame(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	polls := func() int {
		n := 0
		for _, c := range h.App.Sandbox.OpenPayments.Calls() {
			if c.Method == "GET" && strings.Contains(c.Path, "/authorisations/") {
				n++
			}
		}
		return n
	}
	_, events := openStream(h, path)
	first, _ := nextEvent(t, events)
	before := polls()
	second, _ := nextEvent(t, events)
	if second.QRData != first.QRData {
		t.Fatal("the clock stood still, yet the frame changed")
	}
	if got := polls() - before; got != 2 {
		t.Fatalf("%d bank polls for an unturned frame, want 2 (the tick and one more)", got)
	}
}
