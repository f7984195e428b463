package handlers

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"

	"paybybank/checkout"
	"paybybank/payment"
)

// openLink turns a signed payment link into its payment and shows the checkout.
func (s *Server) openLink(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.session(r)
	if err := sess.Save(r, w); err != nil { // the session id names this visit
		return err
	}
	p, err := s.checkout.OpenLink(r.Context(), r.PathValue("link"), sess.ID)
	if errors.Is(err, checkout.ErrLinkDeactivated) {
		s.renderError(w, r, http.StatusGone, "error.linkDeactivated", "")
		return nil
	}
	if errors.Is(err, checkout.ErrBadLink) {
		s.renderError(w, r, http.StatusBadRequest, "error.link", "")
		return nil
	}
	var fe *payment.FieldError
	if errors.As(err, &fe) {
		s.renderError(w, r, http.StatusBadRequest, "error.link", "")
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
	return nil
}

// linkQR draws a payment link as a QR code, for invoices and shop counters.
func (s *Server) linkQR(w http.ResponseWriter, r *http.Request) {
	link := r.PathValue("link")
	if _, _, err := s.checkout.ReadLink(r.Context(), link); errors.Is(err, checkout.ErrLinkDeactivated) {
		http.Error(w, "this payment link was deactivated by the shop", http.StatusGone)
		return
	} else if err != nil {
		http.Error(w, "invalid or expired payment link", http.StatusBadRequest)
		return
	}
	png, err := qrcode.Encode(s.cfg.PublicURL+"/pay/"+link, qrcode.Medium, 320)
	if err != nil {
		http.Error(w, "cannot draw QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(png)
}

// createLink is POST /api/v1/payment-links.
func (s *Server) createLink(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var req struct {
		Amount    rawAmount `json:"amount"`
		Currency  string    `json:"currency"`
		Reference string    `json:"reference"`
		ReturnURL string    `json:"return_url"`
		PerVisit  bool      `json:"per_visit"`
		ExpiresIn int       `json:"expires_in"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	amount, err := req.Amount.decimal()
	if err != nil {
		return err
	}
	if req.ExpiresIn < 0 {
		return &payment.FieldError{Field: "expires_in", Message: "must be positive, or 0 for a link that does not expire"}
	}
	t := checkout.LinkTerms{Amount: amount, Currency: req.Currency, Reference: req.Reference, ReturnURL: req.ReturnURL, PerVisit: req.PerVisit}
	if req.ExpiresIn > 0 {
		t.ExpiresAt = s.checkout.Now().Unix() + int64(req.ExpiresIn)
	}
	l, err := s.checkout.MakeLink(r.Context(), m, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.linkJSON(l))
	return nil
}

// linkResource is a payment link in the API: its record, its full URLs and its state.
type linkResource struct {
	*payment.Link
	URL   string `json:"url"`
	QRURL string `json:"qr_url"`
	State string `json:"state"`
}

func (s *Server) linkJSON(l *payment.Link) linkResource {
	return linkResource{Link: l, URL: s.cfg.PublicURL + l.URL, QRURL: s.cfg.PublicURL + l.URL + "/qr.png", State: l.State(s.checkout.Now())}
}

// listLinks is GET /api/v1/payment-links: the merchant's links, newest first, with their use.
func (s *Server) listLinks(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return &payment.FieldError{Field: "limit", Message: "must be 1 to 100"}
		}
		limit = n
	}
	list, next, err := s.store.Links(r.Context(), m.ID, q.Get("cursor"), limit)
	if errors.Is(err, payment.ErrNotFound) {
		return &payment.FieldError{Field: "cursor", Message: "is not a payment link of yours"}
	} else if err != nil {
		return err
	}
	out := struct {
		Data       []linkResource `json:"data"`
		NextCursor string         `json:"next_cursor,omitempty"`
	}{Data: []linkResource{}, NextCursor: next}
	for _, l := range list {
		out.Data = append(out.Data, s.linkJSON(l))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getLink is GET /api/v1/payment-links/{id}.
func (s *Server) getLink(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	l, err := s.store.Link(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return notFound(err, "no such payment link")
	}
	writeJSON(w, http.StatusOK, s.linkJSON(l))
	return nil
}

// deactivateLink is POST /api/v1/payment-links/{id}/deactivate: the link is refused from now on;
// payments it already created go on. Deactivating twice answers the link as it stands.
func (s *Server) deactivateLink(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	l, err := s.store.DeactivateLink(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return notFound(err, "no such payment link")
	}
	writeJSON(w, http.StatusOK, s.linkJSON(l))
	return nil
}

// notFound names what was not found, for the API's 404 (the funnel's default says "payment").
func notFound(err error, detail string) error {
	if errors.Is(err, payment.ErrNotFound) {
		return &apiError{Status: 404, Code: "not_found", Title: "Not found", Detail: detail}
	}
	return err
}
