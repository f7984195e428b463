package webhooks

import (
	"testing"
	"time"
)

// The Standard Webhooks specification's own example.
func TestSignSpecVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
	if _, err := Sign("whsec_not base64!", "id", 1, nil); err == nil {
		t.Fatal("bad secret accepted")
	}
}

func TestNextAttempt(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := created
	var waits []time.Duration
	for attempts := 1; ; attempts++ {
		next := NextAttempt(created, now, attempts)
		if next.IsZero() {
			break
		}
		waits = append(waits, next.Sub(now))
		now = next
		if attempts > 100 {
			t.Fatal("never gives up")
		}
	}
	if waits[0] < 4*time.Second || waits[0] > 6*time.Second || waits[1] < 4*time.Minute {
		t.Fatalf("first waits %v", waits[:2])
	}
	for i := 1; i < 5; i++ {
		if waits[i] <= waits[i-1] {
			t.Fatalf("backoff not growing: %v", waits)
		}
	}
	if total := now.Sub(created); total > MaxAge || total < MaxAge-12*time.Hour {
		t.Fatalf("gave up after %v", total)
	}
}
