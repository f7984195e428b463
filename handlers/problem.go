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
	// RefundStatus is where a refund stands, for problems about what it can no longer do.
	RefundStatus payment.RefundStatus
	// RefundableAmount is what may still be refunded, for a refund that would exceed the payment.
	RefundableAmount string
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
	PaymentStatus    payment.Status       `json:"payment_status,omitempty"`
	RefundStatus     payment.RefundStatus `json:"refund_status,omitempty"`
	RefundableAmount string               `json:"refundable_amount,omitempty"`
	Instance         string               `json:"instance,omitempty"`
	RequestID        string               `json:"request_id,omitempty"`
}

// toAPIError is the one place where errors become API answers.
func toAPIError(err error) *apiError {
	var ae *apiError
	var fe *payment.FieldError
	var mbe *http.MaxBytesError
	var nce *checkout.NotCancellableError
	var nre *payment.NotRefundableError
	var ore *payment.OverRefundError
	var rce *payment.NotCancellableRefundError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &nre):
		return &apiError{Status: 409, Code: "payment_not_refundable", Title: "Payment cannot be refunded",
			Detail: nre.Error(), PaymentStatus: nre.Status}
	case errors.As(err, &ore):
		return &apiError{Status: 422, Code: "refund_exceeds_payment", Title: "Refund exceeds the payment", Detail: ore.Error(),
			Field: "amount", RefundableAmount: payment.FormatAmount(ore.RemainingMinor, ore.Currency)}
	case errors.Is(err, payment.ErrPayerAccountUnknown):
		return &apiError{Status: 422, Code: "payer_account_unknown", Title: "Payer's account unknown",
			Detail: "the account this payment came from is not known, so there is nowhere to send a refund; create payments with \"refundable\": true (or a debtor) and the checkout asks the shopper for it"}
	case errors.As(err, &rce):
		return &apiError{Status: 409, Code: "refund_not_cancellable", Title: "Refund cannot be cancelled", Detail: rce.Error(), RefundStatus: rce.Status}
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
		Detail: ae.Detail, Code: ae.Code, Field: ae.Field, PaymentStatus: ae.PaymentStatus, RefundStatus: ae.RefundStatus,
		RefundableAmount: ae.RefundableAmount, Instance: r.URL.Path, RequestID: requestIDFrom(r.Context())})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
