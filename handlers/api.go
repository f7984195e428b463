package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"paybybank/checkout"
	"paybybank/payment"
)

// api authenticates the merchant by bearer key and funnels errors to problem+json.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="paybybank"`)
			writeProblem(w, r, s.logger, &apiError{Status: 401, Code: "unauthorized", Title: "Missing API key", Detail: "send Authorization: Bearer <api key>", Field: "Authorization"})
			return
		}
		m, err := s.store.MerchantByAPIKey(r.Context(), key)
		if errors.Is(err, payment.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="paybybank", error="invalid_token"`)
			writeProblem(w, r, s.logger, &apiError{Status: 401, Code: "unauthorized", Title: "Invalid API key", Detail: "the API key is unknown or revoked", Field: "Authorization"})
			return
		} else if err != nil {
			writeProblem(w, r, s.logger, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if key := r.Header.Get("Idempotency-Key"); key != "" && r.Method == http.MethodPost {
			s.idempotent(w, r, m, key, h)
			return
		}
		if err := h(w, r, m); err != nil {
			writeProblem(w, r, s.logger, err)
		}
	}
}

// idempotent answers a POST with an Idempotency-Key: the same key and body within 24 hours get
// the first answer again; the same key with another body or path is 409.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, m *payment.Merchant, key string, h func(http.ResponseWriter, *http.Request, *payment.Merchant) error) {
	if len(key) > 255 {
		writeProblem(w, r, s.logger, &payment.FieldError{Field: "Idempotency-Key", Message: "at most 255 characters"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeProblem(w, r, s.logger, err)
		return
	}
	sum := sha256.Sum256(body)
	stored, err := s.store.BeginIdempotent(r.Context(), m.ID, key, r.Method+" "+r.URL.Path, hex.EncodeToString(sum[:]))
	switch {
	case errors.Is(err, payment.ErrIdempotencyInProgress):
		writeProblem(w, r, s.logger, &apiError{Status: 409, Code: "idempotency_in_progress", Title: "Request in progress", Detail: "a request with this Idempotency-Key is still being answered; retry shortly", Field: "Idempotency-Key"})
		return
	case err != nil:
		writeProblem(w, r, s.logger, err)
		return
	case stored != nil:
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json")
		if stored.Status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
		}
		w.WriteHeader(stored.Status)
		w.Write(stored.Body)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recorder{ResponseWriter: w}
	if err := h(rec, r, m); err != nil {
		writeProblem(rec, r, s.logger, err)
	}
	if err := s.store.FinishIdempotent(context.WithoutCancel(r.Context()), m.ID, key, rec.status, rec.body.Bytes()); err != nil {
		s.logger.ErrorContext(r.Context(), "idempotency record", slog.String("error", err.Error()))
	}
}

// recorder passes a response through while keeping a copy for idempotent replays.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// paymentRequest is the JSON body of POST /api/v1/payments. Amount is kept raw so that a JSON
// number (a float in most merchants' languages) can be refused rather than silently rounded.
type paymentRequest struct {
	Amount    json.RawMessage      `json:"amount"`
	Currency  string               `json:"currency"`
	Reference string               `json:"reference"`
	Creditor  *payment.Creditor    `json:"creditor"`
	ReturnURL string               `json:"return_url"`
	Locale    string               `json:"locale"`
	Bank      string               `json:"bank"`
	Country   string               `json:"country"`
	ExpiresIn int                  `json:"expires_in"`
	Metadata  map[string]string    `json:"metadata"`
	Debtor    *payment.DebtorInput `json:"debtor"`
	TSU       *payment.TSU         `json:"tsu"`
	// Refundable asks the checkout for the shopper's account even where the bank does not need
	// it, so that the payment can be refunded.
	Refundable bool `json:"refundable"`
	// AutoReturn: the result page goes back to the shop by itself after a few seconds.
	AutoReturn bool `json:"auto_return"`
	// MaxAttempts is kept raw so that 0, a negative or a fractional count is refused by name.
	MaxAttempts json.RawMessage `json:"max_attempts"`
}

// maxAttempts reads max_attempts: absent or null is nil (as many attempts as time allows); else a
// whole number, which payment.New bounds.
func maxAttempts(raw json.RawMessage) (*int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, &payment.FieldError{Field: "max_attempts", Message: fmt.Sprintf("must be a whole number from 1 to %d", payment.MaxMaxAttempts)}
	}
	return &n, nil
}

// rawAmount keeps an amount as sent, so a JSON number (a float in most merchants' languages)
// is refused rather than silently rounded.
type rawAmount json.RawMessage

func (a *rawAmount) UnmarshalJSON(b []byte) error { *a = append((*a)[:0], b...); return nil }

func (a rawAmount) decimal() (string, error) {
	var s string
	if len(a) == 0 || a[0] != '"' || json.Unmarshal(a, &s) != nil {
		return "", &payment.FieldError{Field: "amount", Message: `must be a decimal string such as "249.00", not a number`}
	}
	return s, nil
}

func (s *Server) createPayment(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	// The body is JSON whatever Content-Type says: `curl -d` labels it form-encoded, and
	// refusing that would fail the first command every merchant tries.
	var req paymentRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	amount, err := rawAmount(req.Amount).decimal()
	if err != nil {
		return err
	}
	idem := r.Header.Get("Idempotency-Key")
	if len(idem) > 255 {
		return &payment.FieldError{Field: "Idempotency-Key", Message: "at most 255 characters"}
	}
	var debtor *payment.Account
	if req.Debtor != nil {
		a, err := req.Debtor.Parse()
		var fe *payment.FieldError
		if errors.As(err, &fe) {
			return &payment.FieldError{Field: "debtor." + fe.Field, Message: fe.Message}
		} else if err != nil {
			return err
		}
		debtor = &a
	}
	maxAttempts, err := maxAttempts(req.MaxAttempts)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	p, created, err := s.checkout.CreatePayment(r.Context(), m, checkout.NewPayment{Debtor: debtor, TSU: req.TSU, MaxAttempts: maxAttempts,
		Amount: amount, Currency: req.Currency, Reference: req.Reference, Creditor: req.Creditor, ReturnURL: req.ReturnURL,
		Locale: req.Locale, Bank: req.Bank, Country: req.Country, ExpiresIn: req.ExpiresIn, Metadata: req.Metadata, AutoReturn: req.AutoReturn,
		Refundable: req.Refundable,
	}, idem, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/api/v1/payments/"+p.ID)
	writeJSON(w, http.StatusCreated, s.paymentJSON(p, nil))
	return nil
}

// paymentResource is a payment as the API shows it.
type paymentResource struct {
	ID            string            `json:"id"`
	Status        payment.Status    `json:"status"`
	Amount        string            `json:"amount"`
	Currency      string            `json:"currency"`
	Reference     string            `json:"reference"`
	Creditor      payment.Creditor  `json:"creditor"`
	CheckoutURL   string            `json:"checkout_url"`
	ReturnURL     string            `json:"return_url,omitempty"`
	Locale        string            `json:"locale,omitempty"`
	AutoReturn    bool              `json:"auto_return"`
	Bank          *bankResource     `json:"bank"`
	BankStatus    string            `json:"bank_status,omitempty"`
	BankAccepted  bool              `json:"bank_accepted"`
	FailureReason string            `json:"failure_reason,omitempty"`
	FailureCode   string            `json:"failure_code,omitempty"`
	MaxAttempts   *int              `json:"max_attempts"`
	Metadata      map[string]string `json:"metadata"`
	// PayerAccount is the account the payment came from, masked; empty while unknown.
	PayerAccount string `json:"payer_account,omitempty"`
	// Refundable says whether a refund can be created now: the payment is completed, the account
	// it came from is known, and not all of it is refunded.
	Refundable bool `json:"refundable"`
	// RefundedAmount is what its refunds add up to, but for cancelled and failed ones.
	RefundedAmount string          `json:"refunded_amount"`
	ExpiresAt      time.Time       `json:"expires_at"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	Events         []payment.Event `json:"events,omitempty"`
	// Attempts are the payment's attempts at banks, oldest first (one payment's answer only).
	Attempts []payment.AttemptRecord `json:"attempts,omitzero"`
}

type bankResource struct {
	BIC      string `json:"bic"`
	Provider string `json:"provider"`
}

func (s *Server) paymentJSON(p *payment.Payment, events []payment.Event) paymentResource {
	res := paymentResource{ID: p.ID, Status: p.Status, Amount: p.Amount(), Currency: p.Currency, Reference: p.Reference,
		Creditor: p.Creditor, CheckoutURL: s.checkout.CheckoutURL(p), ReturnURL: p.ReturnURL, Locale: p.Locale, AutoReturn: p.AutoReturn,
		BankStatus: p.BankStatus, BankAccepted: p.BankAccepted, FailureReason: p.FailureReason, FailureCode: p.FailureCode, Metadata: p.Metadata,
		ExpiresAt: p.ExpiresAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Events: events}
	if p.BankBIC != "" {
		res.Bank = &bankResource{BIC: p.BankBIC, Provider: p.Provider}
	}
	if p.Debtor != nil {
		res.PayerAccount = p.Debtor.MaskedIBAN()
	}
	res.setRefunded(p, 0)
	if res.Metadata == nil {
		res.Metadata = map[string]string{}
	}
	if p.MaxAttempts > 0 {
		n := p.MaxAttempts
		res.MaxAttempts = &n
	}
	return res
}

// setRefunded fills in what is refunded of the payment (refunded, in minor units) and whether a
// refund can be created now.
func (res *paymentResource) setRefunded(p *payment.Payment, refunded int64) {
	res.RefundedAmount = payment.FormatAmount(refunded, p.Currency)
	res.Refundable = p.Status == payment.StatusCompleted && p.Debtor != nil && refunded < p.AmountMinor
}

// withRefunds sets the refunded amounts of a page of payments, read in one query.
func (s *Server) withRefunds(ctx context.Context, ps []*payment.Payment, res []paymentResource) error {
	ids := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Status == payment.StatusCompleted { // only completed payments have refunds
			ids = append(ids, p.ID)
		}
	}
	sums, err := s.store.RefundedAmounts(ctx, ids)
	if err != nil {
		return err
	}
	for i, p := range ps {
		res[i].setRefunded(p, sums[p.ID])
	}
	return nil
}

func (s *Server) getPayment(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	p, err := s.store.MerchantPayment(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	events, err := s.store.Events(r.Context(), p.ID)
	if err != nil {
		return err
	}
	attempts, err := s.checkout.Attempts(r.Context(), p)
	if err != nil {
		return err
	}
	res := []paymentResource{s.paymentJSON(p, events)}
	if err := s.withRefunds(r.Context(), []*payment.Payment{p}, res); err != nil {
		return err
	}
	res[0].Attempts = []payment.AttemptRecord{}
	for _, a := range attempts {
		res[0].Attempts = append(res[0].Attempts, a.Record())
	}
	writeJSON(w, http.StatusOK, res[0])
	return nil
}

// apiFilter reads the listing filters the API's payment list and export share: status and the
// creation time range (RFC 3339).
func apiFilter(q url.Values) (payment.ListFilter, error) {
	f := payment.ListFilter{Status: payment.Status(q.Get("status"))}
	if f.Status != "" && !f.Status.Valid() {
		return f, &payment.FieldError{Field: "status", Message: "is not a payment status"}
	}
	for _, tf := range []struct {
		name string
		to   *time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore}} {
		if v := q.Get(tf.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, &payment.FieldError{Field: tf.name, Message: "must be an RFC 3339 time such as 2026-11-25T12:00:00Z"}
			}
			*tf.to = t
		}
	}
	return f, nil
}

func (s *Server) listPayments(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	q := r.URL.Query()
	f, err := apiFilter(q)
	if err != nil {
		return err
	}
	f.Cursor = q.Get("cursor")
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return &payment.FieldError{Field: "limit", Message: "must be 1 to 100"}
		}
		f.Limit = n
	}
	list, next, err := s.store.Payments(r.Context(), m.ID, f)
	if errors.Is(err, payment.ErrNotFound) {
		return &payment.FieldError{Field: "cursor", Message: "is not a payment of yours"}
	} else if err != nil {
		return err
	}
	out := struct {
		Data       []paymentResource `json:"data"`
		NextCursor string            `json:"next_cursor,omitempty"`
	}{Data: []paymentResource{}, NextCursor: next}
	for _, p := range list {
		out.Data = append(out.Data, s.paymentJSON(p, nil))
	}
	if err := s.withRefunds(r.Context(), list, out.Data); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) cancelPayment(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	p, err := s.store.MerchantPayment(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	p, err = s.checkout.Cancel(ctx, p, payment.CauseMerchant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.paymentJSON(p, nil))
	return nil
}
