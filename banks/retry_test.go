package banks

import (
	"context"
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
