package banks

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	start := time.Now()
	if !Wait(context.Background(), time.Millisecond, 1, 50*time.Millisecond) || time.Since(start) < 50*time.Millisecond {
		t.Fatal("Retry-After longer than the backoff must be honoured")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Wait(ctx, time.Hour, 1, 0) {
		t.Fatal("a cancelled context must end the wait")
	}
}

func TestRetryAfter(t *testing.T) {
	h := http.Header{}
	if RetryAfter(h) != 0 {
		t.Fatal("absent")
	}
	h.Set("Retry-After", "3")
	if RetryAfter(h) != 3*time.Second {
		t.Fatal("seconds")
	}
	h.Set("Retry-After", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
	if d := RetryAfter(h); d < 58*time.Second || d > time.Minute {
		t.Fatalf("date: %v", d)
	}
	h.Set("Retry-After", "soon")
	if RetryAfter(h) != 0 {
		t.Fatal("garbage")
	}
}
