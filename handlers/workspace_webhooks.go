package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"paybybank/payment"
	"paybybank/views"
)

// webhooksPage lists the merchant's webhook endpoints, each with its event types, the overlap of
// a rotated secret, its recent deliveries ("Send again" on each) and its buttons; below, the
// form to add one.
func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	return s.renderWebhooks(w, r, c, http.StatusOK, nil, "")
}

// renderWebhooks draws the page; shown is an endpoint whose new secret is shown this once (on
// creation and rotation), url what the add form held when it was refused.
func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, c *wsRequest, status int, shown *payment.WebhookEndpoint, url string) error {
	list, err := s.store.WebhookEndpoints(r.Context(), c.Merchant.ID)
	if err != nil {
		return err
	}
	l := c.L
	const at = "2006-01-02 15:04:05"
	now := s.checkout.Now()
	d := views.WorkspaceWebhooks{Workspace: s.shell(w, r, c, "webhooks", l.T("ws.nav.webhooks")), Types: payment.EventTypes, URL: url}
	if shown != nil {
		d.Secret, d.SecretFor = shown.Secret, shown.URL
		if shown.PreviousSecret != "" && now.Before(shown.PreviousUntil) {
			d.SecretUntil = shown.PreviousUntil.UTC().Format(at) + " UTC"
		}
	}
	for _, e := range list {
		row := views.EndpointRow{ID: e.ID, URL: e.URL, Types: strings.Join(e.EventTypes, ", "), Created: e.CreatedAt.UTC().Format(at)}
		if slices.Contains(e.EventTypes, "*") {
			row.Types = l.T("ws.hooks.all")
		}
		if e.PreviousSecret != "" && now.Before(e.PreviousUntil) {
			row.PreviousUntil = e.PreviousUntil.UTC().Format(at) + " UTC"
		}
		hooks, err := s.store.EndpointDeliveries(r.Context(), c.Merchant.ID, e.ID, 10)
		if err != nil {
			return err
		}
		for _, h := range hooks {
			dr := views.DeliveryRow{ID: h.EventID, Type: h.Type, Created: h.CreatedAt.UTC().Format(at), State: h.State(),
				StateLabel: l.T("ws.delivery." + h.State()), Attempts: strconv.Itoa(h.Attempts), Last: "–"}
			if n := len(h.History); n > 0 {
				a := h.History[n-1]
				dr.Last = a.AttemptedAt.UTC().Format(at) + " · " + strconv.Itoa(a.StatusCode)
				if a.Error != "" {
					dr.Last += " · " + a.Error
				}
			}
			row.Deliveries = append(row.Deliveries, dr)
		}
		d.Endpoints = append(d.Endpoints, row)
	}
	s.render(w, r, status, views.WorkspaceWebhooksPage(d))
	return nil
}

// addEndpoint adds a webhook endpoint under the API's rules (https, or http to loopback outside
// production; known event types) and shows its secret this once.
func (s *Server) addEndpoint(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	url := strings.TrimSpace(r.PostFormValue("url"))
	types := r.PostForm["type"]
	if slices.Contains(types, "*") {
		types = []string{"*"}
	}
	err := ValidWebhookURL(url, s.cfg.Production)
	if err == nil {
		err = payment.CheckEventTypes(types)
	}
	var fe *payment.FieldError
	if errors.As(err, &fe) {
		c.sess.Values["flash"] = "bad\x00" + c.L.T("ws.hooks.invalid") + " (" + fe.Field + ": " + fe.Message + ")"
		return s.renderWebhooks(w, r, c, http.StatusUnprocessableEntity, nil, url)
	}
	e, err := s.store.CreateWebhookEndpoint(r.Context(), c.Merchant.ID, url, types)
	if err != nil {
		return err
	}
	s.audit(r, c, "webhook.create", e.ID, e.URL+" · "+strings.Join(types, ","))
	return s.renderWebhooks(w, r, c, http.StatusOK, e, "")
}

// deleteEndpointFromWorkspace removes an endpoint: no more deliveries to it.
func (s *Server) deleteEndpointFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	e, err := s.store.DeleteWebhookEndpoint(r.Context(), c.Merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.audit(r, c, "webhook.delete", e.ID, e.URL)
	c.flash(w, r, "ok", c.L.T("ws.hooks.deleted"))
	http.Redirect(w, r, "/merchant/webhooks", http.StatusSeeOther)
	return nil
}

// testEndpointFromWorkspace sends a webhook.test event to an endpoint through the outbox.
func (s *Server) testEndpointFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	id, err := s.store.SendTestEvent(r.Context(), c.Merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.audit(r, c, "webhook.test", r.PathValue("id"), id)
	c.flash(w, r, "ok", c.L.T("ws.hooks.tested"))
	http.Redirect(w, r, "/merchant/webhooks", http.StatusSeeOther)
	return nil
}

// rotateFromWorkspace gives an endpoint a new secret, shown this once; the old one keeps signing
// beside it for DefaultSecretOverlap.
func (s *Server) rotateFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	e, err := s.store.RotateWebhookSecret(r.Context(), c.Merchant.ID, r.PathValue("id"), DefaultSecretOverlap)
	if err != nil {
		return err
	}
	s.audit(r, c, "webhook.rotate", e.ID, e.URL)
	return s.renderWebhooks(w, r, c, http.StatusOK, e, "")
}

// redeliverToEndpoint queues an event of an endpoint's delivery log for delivery again.
func (s *Server) redeliverToEndpoint(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	hooks, err := s.store.EndpointDeliveries(r.Context(), c.Merchant.ID, r.PathValue("id"), 100)
	if err != nil {
		return err
	}
	event := r.PathValue("event")
	if !slices.ContainsFunc(hooks, func(h payment.WebhookDelivery) bool { return h.EventID == event }) {
		return payment.ErrNotFound
	}
	if err := s.store.Redeliver(r.Context(), c.Merchant.ID, event); err != nil {
		return err
	}
	s.audit(r, c, "webhook.redeliver", event, r.PathValue("id"))
	c.flash(w, r, "ok", c.L.T("ws.payment.redelivered"))
	http.Redirect(w, r, "/merchant/webhooks", http.StatusSeeOther)
	return nil
}
