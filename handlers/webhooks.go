package handlers

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"paybybank/payment"
	"paybybank/webhooks"
)

// ValidWebhookURL checks a merchant's endpoint: https, or plain http to a loopback host outside
// production (for local development and tests).
func ValidWebhookURL(raw string, production bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return &payment.FieldError{Field: "url", Message: "must be an absolute https URL"}
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if production || !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
			return &payment.FieldError{Field: "url", Message: "must use https"}
		}
	}
	if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); production && err == nil && !webhooks.Public(ip) {
		// Names are checked when dialled (webhooks.PublicOnlyClient); an address can be refused now.
		return &payment.FieldError{Field: "url", Message: "must be a public address"}
	}
	return nil
}

// setWebhook is PUT /api/v1/webhook, kept for integrations written before several endpoints: it
// adds an endpoint at the URL for every event type, or gives the one there a new secret.
func (s *Server) setWebhook(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var req struct {
		URL string `json:"url"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	// An empty URL used to turn webhooks off without a word; endpoints are removed by
	// DELETE /api/v1/webhook-endpoints/{id} now, and this answer says so.
	if req.URL == "" {
		return &payment.FieldError{Field: "url", Message: "is required; to remove an endpoint, DELETE /api/v1/webhook-endpoints/{id}"}
	}
	if err := ValidWebhookURL(req.URL, s.cfg.Production); err != nil {
		return err
	}
	secret, err := s.store.SetWebhook(r.Context(), m.ID, req.URL)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": req.URL, "secret": secret})
	return nil
}

func (s *Server) paymentWebhooks(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	p, err := s.store.MerchantPayment(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	events, err := s.store.PaymentWebhooks(r.Context(), p.ID)
	if err != nil {
		return err
	}
	type eventJSON struct {
		payment.WebhookEvent
		State string `json:"state"`
	}
	out := struct {
		Data []eventJSON `json:"data"`
	}{Data: []eventJSON{}}
	for _, e := range events {
		out.Data = append(out.Data, eventJSON{WebhookEvent: e, State: e.State()})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	if err := s.store.Redeliver(r.Context(), m.ID, r.PathValue("event")); err != nil {
		if err == payment.ErrNotFound {
			return &apiError{Status: 404, Code: "not_found", Title: "Not found", Detail: "no such webhook event"}
		}
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": r.PathValue("event"), "state": "pending"})
	return nil
}
