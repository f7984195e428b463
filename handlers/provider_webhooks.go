package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"paybybank/payment"
)

// powensWebhook receives Powens' PAYMENT_UPDATED. Its body only says which payment: the state is
// always re-fetched from Powens, so a forged or repeated notice can change nothing.
func (s *Server) powensWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	var ev struct {
		Type    string `json:"type"`
		Payment struct {
			ID json.Number `json:"id"`
		} `json:"payment"`
	}
	if json.Unmarshal(body, &ev) != nil || ev.Payment.ID == "" {
		http.Error(w, "expected {type, payment: {id}}", http.StatusBadRequest)
		return
	}
	if _, err := strconv.ParseInt(ev.Payment.ID.String(), 10, 64); err != nil {
		http.Error(w, "payment id must be a number", http.StatusBadRequest)
		return
	}
	if _, err := s.checkout.BankUpdated(r.Context(), "powens", ev.Payment.ID.String()); err != nil && !errors.Is(err, payment.ErrNotFound) {
		s.logger.WarnContext(r.Context(), "powens webhook", "error", err.Error())
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
