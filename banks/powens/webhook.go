package powens

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"paybybank/banks"
)

// Webhook receives Powens' PAYMENT_UPDATED. Seed 002 documents no payload, so only the payment's
// id is taken, from {type, payment: {id}} or from a payment object {id, state, …}; the state is
// always re-fetched from Powens, so a forged or repeated notice can change nothing.
func Webhook(d banks.WebhookDeps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		var ev struct {
			ID      json.Number `json:"id"`
			Payment struct {
				ID json.Number `json:"id"`
			} `json:"payment"`
		}
		if json.Unmarshal(body, &ev) != nil || (ev.Payment.ID == "" && ev.ID == "") {
			http.Error(w, "expected {type, payment: {id}} or a payment {id, …}", http.StatusBadRequest)
			return
		}
		if ev.Payment.ID == "" {
			ev.Payment.ID = ev.ID
		}
		if _, err := strconv.ParseInt(ev.Payment.ID.String(), 10, 64); err != nil {
			http.Error(w, "payment id must be a number", http.StatusBadRequest)
			return
		}
		if err := d.BankUpdated(r.Context(), ev.Payment.ID.String()); err != nil {
			d.Logger.WarnContext(r.Context(), "powens webhook", "error", err.Error())
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
