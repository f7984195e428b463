package handlers

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"paybybank/payment"
)

// DefaultSecretOverlap is how long a rotated webhook secret keeps signing beside the new one,
// unless the rotation asks for another overlap: a day for the merchant's receivers to switch.
const DefaultSecretOverlap = 24 * time.Hour

// maxSecretOverlap bounds the overlap: an old secret is retired within a week.
const maxSecretOverlap = 7 * 24 * time.Hour

// endpointResource is a webhook endpoint in the API. The secret is shown only when it is new:
// on creation and rotation.
type endpointResource struct {
	*payment.WebhookEndpoint
	Secret string `json:"secret,omitempty"`
}

// createEndpoint is POST /api/v1/webhook-endpoints: a new endpoint with its secret.
func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var req struct {
		URL        string   `json:"url"`
		EventTypes []string `json:"event_types"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	if req.EventTypes == nil {
		req.EventTypes = []string{"*"}
	}
	if err := ValidWebhookURL(req.URL, s.cfg.Production); err != nil {
		return err
	}
	if err := payment.CheckEventTypes(req.EventTypes); err != nil {
		return err
	}
	e, err := s.store.CreateWebhookEndpoint(r.Context(), m.ID, req.URL, req.EventTypes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, endpointResource{WebhookEndpoint: e, Secret: e.Secret})
	return nil
}

// listEndpoints is GET /api/v1/webhook-endpoints.
func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	list, err := s.store.WebhookEndpoints(r.Context(), m.ID)
	if err != nil {
		return err
	}
	out := struct {
		Data []endpointResource `json:"data"`
	}{Data: []endpointResource{}}
	for _, e := range list {
		out.Data = append(out.Data, endpointResource{WebhookEndpoint: e})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getEndpoint is GET /api/v1/webhook-endpoints/{id}.
func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	e, err := s.store.WebhookEndpoint(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return notFound(err, "no such webhook endpoint")
	}
	writeJSON(w, http.StatusOK, endpointResource{WebhookEndpoint: e})
	return nil
}

// deleteEndpoint is DELETE /api/v1/webhook-endpoints/{id}: no more deliveries to it, pending
// ones included; its delivery log stays readable.
func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	if _, err := s.store.DeleteWebhookEndpoint(r.Context(), m.ID, r.PathValue("id")); err != nil {
		return notFound(err, "no such webhook endpoint")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// testEndpoint is POST /api/v1/webhook-endpoints/{id}/test: a webhook.test event through the
// outbox, delivered and logged like any other.
func (s *Server) testEndpoint(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	id, err := s.store.SendTestEvent(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return notFound(err, "no such webhook endpoint")
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "type": payment.TestEventType, "state": "pending"})
	return nil
}

// rotateSecret is POST /api/v1/webhook-endpoints/{id}/rotate-secret: a new secret, with the old
// one signing beside it for overlap_seconds (default a day).
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	req := struct {
		OverlapSeconds *int `json:"overlap_seconds"`
	}{}
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
	}
	overlap := DefaultSecretOverlap
	if req.OverlapSeconds != nil {
		overlap = time.Duration(*req.OverlapSeconds) * time.Second
		if overlap < 0 || overlap > maxSecretOverlap {
			return &payment.FieldError{Field: "overlap_seconds", Message: "must be 0 to " + strconv.Itoa(int(maxSecretOverlap/time.Second))}
		}
	}
	e, err := s.store.RotateWebhookSecret(r.Context(), m.ID, r.PathValue("id"), overlap)
	if err != nil {
		return notFound(err, "no such webhook endpoint")
	}
	writeJSON(w, http.StatusOK, endpointResource{WebhookEndpoint: e, Secret: e.Secret})
	return nil
}

// endpointDeliveries is GET /api/v1/webhook-endpoints/{id}/deliveries: the latest deliveries to
// the endpoint, newest first, each with its tries.
func (s *Server) endpointDeliveries(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return &payment.FieldError{Field: "limit", Message: "must be 1 to 100"}
		}
		limit = n
	}
	list, err := s.store.EndpointDeliveries(r.Context(), m.ID, r.PathValue("id"), limit)
	if err != nil {
		return notFound(err, "no such webhook endpoint")
	}
	type deliveryJSON struct {
		payment.WebhookDelivery
		State string `json:"state"`
	}
	out := struct {
		Data []deliveryJSON `json:"data"`
	}{Data: []deliveryJSON{}}
	for _, d := range list {
		out.Data = append(out.Data, deliveryJSON{WebhookDelivery: d, State: d.State()})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
