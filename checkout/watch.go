package checkout

import (
	"sync"
	"time"

	"paybybank/payment"
)

// A bank is asked about a decoupled order once a second only while a shopper's page shows it
// (its event stream is open, or it asked for its status or QR image just now): the QR frame and
// the message are for someone to see. An order nobody watches is left to the reconciler, at
// UnwatchedEvery; when the page comes back, its stream asks once a second again.

// watchedFor is how long a status or QR request counts as someone watching: a page that asks
// instead of streaming asks every second.
const watchedFor = 3 * time.Second

// UnwatchedEvery is how often the reconciler asks a bank about a payment under way that no page
// watches: the outcome still arrives (the shopper may sign in the app with the tab closed), a few
// seconds later than a watching page would see it, at a fraction of the bank calls.
const UnwatchedEvery = 10 * time.Second

// watchers knows which payments a shopper's page is watching. Its zero value is ready.
type watchers struct {
	mu      sync.Mutex
	streams map[string]int       // payment ID → open event streams
	seen    map[string]time.Time // payment ID → the last status or QR request
}

// Watch notes an open event stream on a payment until the returned function is called.
func (s *Service) Watch(paymentID string) (release func()) {
	w := &s.watch
	w.mu.Lock()
	if w.streams == nil {
		w.streams = map[string]int{}
	}
	w.streams[paymentID]++
	w.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.streams[paymentID]--; w.streams[paymentID] <= 0 {
				delete(w.streams, paymentID)
			}
		})
	}
}

// Seen notes that a page asked about a payment just now (its status, or its QR image).
func (s *Service) Seen(paymentID string) {
	w := &s.watch
	now := time.Now() // real time: how long ago a browser asked, whatever the payment clock says
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen == nil {
		w.seen = map[string]time.Time{}
	}
	if len(w.seen) > 10000 { // forget the long gone now and then, so the map stays small
		for id, at := range w.seen {
			if now.Sub(at) > watchedFor {
				delete(w.seen, id)
			}
		}
	}
	w.seen[paymentID] = now
}

// Watched reports whether a shopper's page is watching a payment now.
func (s *Service) Watched(paymentID string) bool {
	w := &s.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.streams[paymentID] > 0 {
		return true
	}
	at, ok := w.seen[paymentID]
	return ok && time.Since(at) < watchedFor
}

// reconcileDue reports whether the reconciler asks about p now, last asked at last (zero if
// never). A watched payment is its page's to keep up to date; one under way that nobody watches
// is asked about at UnwatchedEvery at most; the rest at their age's cadence.
func (s *Service) reconcileDue(p *payment.Payment, now, last time.Time) bool {
	if s.Watched(p.ID) {
		return false
	}
	every := cadence(now.Sub(p.UpdatedAt))
	if p.Status == payment.StatusAuthorising || p.Status == payment.StatusOpen {
		every = max(every, UnwatchedEvery)
	}
	return now.Sub(last) >= every
}
