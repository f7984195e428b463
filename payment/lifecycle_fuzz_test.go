package payment

import "testing"

// FuzzLifecycle drives a payment through any sequence of requested statuses, applying those
// CanTransition allows, as every writer of a payment does: whatever the order of callbacks, polls,
// webhooks, cancels and time-outs, a payment never leaves a terminal status, never goes back to
// open, never stays where it is by a "transition", and only ends completed by way of the bank.
func FuzzLifecycle(f *testing.F) {
	all := []Status{StatusOpen, StatusAuthorising, StatusProcessing, StatusCompleted, StatusFailed, StatusCancelled, StatusExpired, "", "bogus"}
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{1, 5, 3, 0})
	f.Add([]byte{6, 1, 3})
	f.Add([]byte{1, 1, 2, 2, 4, 0, 1})
	f.Fuzz(func(t *testing.T, steps []byte) {
		s := StatusOpen
		authorised := false // passed through authorising: the bank saw the shopper
		for _, b := range steps {
			to := all[int(b)%len(all)]
			if !CanTransition(s, to) {
				continue
			}
			if s.Terminal() {
				t.Fatalf("%s → %s allowed out of a terminal status", s, to)
			}
			if to == s || to == StatusOpen || !to.Valid() {
				t.Fatalf("%s → %s allowed", s, to)
			}
			if to == StatusCompleted && !authorised {
				t.Fatalf("completed without the bank: %v", steps)
			}
			if to == StatusAuthorising {
				authorised = true
			}
			s = to
		}
	})
}
