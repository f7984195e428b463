package e2e

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"paybybank/checkout"
	"paybybank/internal/e2etest"
)

// scaPolls counts the bank's authorisation polls so far.
func scaPolls(h *e2etest.Harness) int {
	n := 0
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "GET" && strings.Contains(c.Path, "/authorisations/") {
			n++
		}
	}
	return n
}

// TestBankAskedAsFastAsSomeoneWatches: while the BankID page's event stream is open the stream
// asks the bank each second and the reconciler leaves the order alone; once the page is gone the
// reconciler asks at its slower pace; when the page comes back the stream asks each second again.
func TestBankAskedAsFastAsSomeoneWatches(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	h.Get(path)
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	rec := &checkout.Reconciler{Service: h.App.Checkout, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	step := func() int {
		t.Helper()
		before := scaPolls(h)
		if err := rec.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
		return scaPolls(h) - before
	}
	// watch opens the page's event stream and reads n frames, returning the bank's polls during
	// them and the stream's end.
	watch := func(n int) (polls int, frames chan struct{}, stop func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, "GET", h.Srv.URL+path+"/events?page=bankid", nil)
		c := *h.Client
		c.Timeout = 0
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		frames = make(chan struct{}, 100)
		go func() {
			defer resp.Body.Close()
			lines := bufio.NewScanner(resp.Body)
			for lines.Scan() {
				if strings.HasPrefix(lines.Text(), "data: ") {
					frames <- struct{}{}
				}
			}
			close(frames)
		}()
		<-frames
		before := scaPolls(h)
		for range n {
			if _, ok := <-frames; !ok {
				t.Fatal("the stream ended")
			}
		}
		return scaPolls(h) - before, frames, cancel
	}

	polls, frames, stop := watch(2)
	if polls < 2 {
		t.Fatalf("a watched order: %d bank polls in 2 frames, want one a frame", polls)
	}
	if !h.App.Checkout.Watched(id) {
		t.Fatal("an open stream is not watching")
	}
	if n := step(); n != 0 {
		t.Fatalf("the reconciler asked %d times about an order its page asks about each second", n)
	}
	stop()
	for range frames { // the stream is over
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.App.Checkout.Watched(id) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if h.App.Checkout.Watched(id) {
		t.Fatal("still watched after the page left")
	}
	// Nobody watches: the reconciler asks, then not again before UnwatchedEvery.
	if n := step(); n != 1 {
		t.Fatalf("unwatched, first tick: %d polls, want 1", n)
	}
	h.Clock.Add(checkout.UnwatchedEvery / 2)
	if n := step(); n != 0 {
		t.Fatalf("unwatched, %s later: %d polls, want 0", checkout.UnwatchedEvery/2, n)
	}
	h.Clock.Add(checkout.UnwatchedEvery / 2)
	if n := step(); n != 1 {
		t.Fatalf("unwatched, %s later: %d polls, want 1", checkout.UnwatchedEvery, n)
	}
	// A page asking for its status counts as watching, as a stream does.
	h.Get(path + "/status?page=bankid")
	if n := step(); n != 0 || !h.App.Checkout.Watched(id) {
		t.Fatalf("after a status request: watched %v, reconciler polls %d", h.App.Checkout.Watched(id), n)
	}
	// The page comes back: its stream asks each second again.
	polls, frames, stop = watch(2)
	defer func() {
		stop()
		for range frames {
		}
	}()
	if polls < 2 {
		t.Fatalf("the page came back: %d bank polls in 2 frames", polls)
	}
}
