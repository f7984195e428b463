package handlers

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"paybybank/checkout"
	"paybybank/payment"
	"paybybank/store"
)

// storageRetryAfter is the Retry-After, in seconds, of answers the database could not write: long
// enough not to hammer a full disk, short enough that a shopper's retry soon succeeds.
const storageRetryAfter = "5"

// apiError is an RFC 9457 problem with a stable code and, for validation, the offending field.
type apiError struct {
	Status int
	Code   string
	Title  string
	Detail string
	Field  string
	// PaymentStatus is where the payment stands, for problems about what it can no longer do.
	PaymentStatus payment.Status
	// RetryAfter, in seconds, says when a passing failure is worth retrying; empty for none.
	RetryAfter string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Detail }

type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
	// PaymentStatus is an extension member: "status" is the HTTP status in RFC 9457.
	PaymentStatus payment.Status `json:"payment_status,omitempty"`
	Instance      string         `json:"instance,omitempty"`
	RequestID     string         `json:"request_id,omitempty"`
}

// toAPIError is the one place where errors become API answers.
func toAPIError(err error) *apiError {
	var ae *apiError
	var fe *payment.FieldError
	var mbe *http.MaxBytesError
	var nce *checkout.NotCancellableError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &nce):
		return &apiError{Status: 409, Code: "payment_not_cancellable", Title: "Payment cannot be cancelled",
			Detail: "the payment is " + string(nce.Status) + " and can no longer be cancelled", PaymentStatus: nce.Status}
	case errors.As(err, &fe):
		return &apiError{Status: 422, Code: "validation_error", Title: "Invalid request", Detail: fe.Error(), Field: fe.Field}
	case errors.As(err, &mbe):
		return &apiError{Status: 413, Code: "body_too_large", Title: "Request body too large", Detail: "the body must be at most 64 KiB"}
	case errors.Is(err, store.ErrUnavailable):
		return &apiError{Status: 503, Code: "storage_unavailable", Title: "Storage unavailable",
			Detail: "the database cannot write right now (a full disk, for example); nothing was changed: retry after the Retry-After seconds", RetryAfter: storageRetryAfter}
	case errors.Is(err, payment.ErrNotFound):
		return &apiError{Status: 404, Code: "not_found", Title: "Not found", Detail: "no such payment"}
	case errors.Is(err, payment.ErrIdempotencyMismatch):
		return &apiError{Status: 409, Code: "idempotency_key_reused", Title: "Idempotency key reused", Detail: "this Idempotency-Key was used with a different request body", Field: "Idempotency-Key"}
	case errors.Is(err, payment.ErrConflict):
		return &apiError{Status: 409, Code: "invalid_state", Title: "Payment cannot do that now", Detail: err.Error()}
	}
	return &apiError{Status: 500, Code: "internal_error", Title: "Internal error", Detail: "something went wrong on our side; it is logged"}
}

// writeProblem answers with problem+json, logging only server-side failures.
func writeProblem(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		logger.ErrorContext(r.Context(), "api error", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if ae.RetryAfter != "" {
		w.Header().Set("Retry-After", ae.RetryAfter)
	}
	w.WriteHeader(ae.Status)
	json.NewEncoder(w).Encode(problemBody{Type: "https://paybybank.dev/problems/" + ae.Code, Title: ae.Title, Status: ae.Status,
		Detail: ae.Detail, Code: ae.Code, Field: ae.Field, PaymentStatus: ae.PaymentStatus, Instance: r.URL.Path, RequestID: requestIDFrom(r.Context())})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
