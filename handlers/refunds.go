package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"paybybank/payment"
	"paybybank/store"
)

// refundRequest is the JSON body of POST /api/v1/payments/{id}/refunds. Amount is kept raw so a
// JSON number is refused rather than rounded.
type refundRequest struct {
	Amount    rawAmount `json:"amount"`
	Reference string    `json:"reference"`
	// PayeeName is the payer's name as the merchant knows it, which the merchant's bank may want
	// for the transfer; the name the payer's bank reported is used otherwise.
	PayeeName string `json:"payee_name"`
}

// refundResource is a refund as the API shows it: the payer's account only masked.
type refundResource struct {
	ID            string               `json:"id"`
	PaymentID     string               `json:"payment_id"`
	Status        payment.RefundStatus `json:"status"`
	Amount        string               `json:"amount"`
	Currency      string               `json:"currency"`
	Reference     string               `json:"reference"`
	PayeeAccount  string               `json:"payee_account"`
	PayeeName     string               `json:"payee_name,omitempty"`
	FailureReason string               `json:"failure_reason,omitempty"`
	CreatedAt     time.Time            `json:"created_at"`
	UpdatedAt     time.Time            `json:"updated_at"`
	Events        []store.RefundEvent  `json:"events,omitempty"`
}

func refundJSON(r *payment.Refund, events []store.RefundEvent) refundResource {
	return refundResource{ID: r.ID, PaymentID: r.PaymentID, Status: r.Status, Amount: r.Amount(), Currency: r.Currency,
		Reference: r.Reference, PayeeAccount: r.Payee.MaskedIBAN(), PayeeName: r.PayeeName, FailureReason: r.FailureReason,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Events: events}
}

// refundNotFound is the 404 of a refund id that is not the merchant's.
var refundNotFound = &apiError{Status: 404, Code: "not_found", Title: "Not found", Detail: "no such refund"}

// createRefund refunds a completed payment, in full or in part, to the account it came from. The
// refund waits for a person of the merchant to authorise it at the merchant's bank.
func (s *Server) createRefund(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var req refundRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	amount, err := req.Amount.decimal()
	if err != nil {
		return err
	}
	idem := r.Header.Get("Idempotency-Key")
	if len(idem) > 255 {
		return &payment.FieldError{Field: "Idempotency-Key", Message: "at most 255 characters"}
	}
	p, err := s.store.MerchantPayment(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	rf, err := payment.NewRefund(p, amount, req.Reference)
	if err != nil {
		return err
	}
	if rf.PayeeName = strings.TrimSpace(req.PayeeName); len([]rune(rf.PayeeName)) > 70 {
		return &payment.FieldError{Field: "payee_name", Message: "must be at most 70 characters"}
	}
	sum := sha256.Sum256(body)
	rf, created, err := s.store.CreateRefund(r.Context(), rf, idem, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/api/v1/refunds/"+rf.ID)
	writeJSON(w, http.StatusCreated, refundJSON(rf, nil))
	return nil
}

func (s *Server) listRefunds(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	p, err := s.store.MerchantPayment(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	list, err := s.store.RefundsOf(r.Context(), p.ID)
	if err != nil {
		return err
	}
	out := struct {
		Data []refundResource `json:"data"`
	}{Data: []refundResource{}}
	for _, rf := range list {
		out.Data = append(out.Data, refundJSON(rf, nil))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getRefund(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	rf, err := s.store.MerchantRefund(r.Context(), m.ID, r.PathValue("id"))
	if errors.Is(err, payment.ErrNotFound) {
		return refundNotFound
	} else if err != nil {
		return err
	}
	events, err := s.store.RefundEvents(r.Context(), rf.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, refundJSON(rf, events))
	return nil
}

// cancelRefund cancels a refund nobody has started to authorise; its amount may be refunded again.
func (s *Server) cancelRefund(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	rf, err := s.store.MerchantRefund(r.Context(), m.ID, r.PathValue("id"))
	if errors.Is(err, payment.ErrNotFound) {
		return refundNotFound
	} else if err != nil {
		return err
	}
	if rf.Status != payment.RefundAwaitingAuthorisation {
		return &payment.NotCancellableRefundError{Status: rf.Status}
	}
	done, err := s.store.TransitionRefund(r.Context(), rf.ID, payment.RefundAwaitingAuthorisation, payment.RefundCancelled, "cancelled by the merchant", "")
	if errors.Is(err, payment.ErrConflict) {
		// Someone started authorising it (or cancelled it) meanwhile: say where it stands now.
		if now, err := s.store.MerchantRefund(r.Context(), m.ID, rf.ID); err == nil {
			return &payment.NotCancellableRefundError{Status: now.Status}
		}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, refundJSON(done, nil))
	return nil
}
