package handlers

import (
	"errors"
	"io"
	"net/http"

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
	if _, _, err := s.checkout.ReadLink(r.Context(), link); err != nil {
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
	path, err := s.checkout.MakeLink(m, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"url": s.cfg.PublicURL + path, "qr_url": s.cfg.PublicURL + path + "/qr.png", "per_visit": req.PerVisit})
	return nil
}
