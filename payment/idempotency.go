package payment

import "errors"

// ErrIdempotencyInProgress means a request with the same Idempotency-Key is still being answered.
var ErrIdempotencyInProgress = errors.New("a request with this idempotency key is in progress")

// StoredResponse is a recorded answer to a request sent with an Idempotency-Key, replayed when the
// same request comes again.
type StoredResponse struct {
	Status int
	Body   []byte
}
