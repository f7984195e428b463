package banks

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// MaxWait caps any single wait between retries of a bank call.
const MaxWait = 10 * time.Second

// Wait sleeps before retry attempt+1 of a bank call: base doubled per attempt, plus up to half
// again of jitter, or the bank's Retry-After when that is longer, never more than MaxWait. It
// reports false when ctx ended first. Every connector retries 429 and 5xx through it.
func Wait(ctx context.Context, base time.Duration, attempt int, retryAfter time.Duration) bool {
	d := base << (attempt - 1)
	d += time.Duration(rand.Int64N(int64(d)/2 + 1))
	d = min(max(d, retryAfter), MaxWait)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date; 0 when absent.
func RetryAfter(h http.Header) time.Duration {
	ra := h.Get("Retry-After")
	if ra == "" {
		return 0
	}
	if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(ra); err == nil {
		return time.Until(t)
	}
	return 0
}
