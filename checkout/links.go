package checkout

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"paybybank/payment"
)

// LinkTerms are what a payment link carries, signed with the merchant's secret so nobody can
// change the amount on the way.
type LinkTerms struct {
	MerchantID string `json:"m"`
	Amount     string `json:"a"`
	Currency   string `json:"c"`
	Reference  string `json:"r"`
	ReturnURL  string `json:"u,omitempty"`
	PerVisit   bool   `json:"v,omitempty"` // a new payment for every visitor, not one for the link
	ExpiresAt  int64  `json:"x,omitempty"` // unix seconds; 0: the link does not expire
	Nonce      string `json:"n"`
}

// ErrBadLink means a payment link was tampered with, malformed, or expired.
var ErrBadLink = errors.New("invalid or expired payment link")

// ErrLinkDeactivated means the merchant deactivated the payment link: it is genuine, and refused.
var ErrLinkDeactivated = errors.New("payment link deactivated")

// MakeLink validates terms against the merchant, records the link and returns it; its URL is the
// path /pay/{terms}.{signature}.
func (s *Service) MakeLink(ctx context.Context, m *payment.Merchant, t LinkTerms) (*payment.Link, error) {
	t.MerchantID = m.ID
	if _, err := s.Validate(m, NewPayment{Amount: t.Amount, Currency: t.Currency, Reference: t.Reference, ReturnURL: t.ReturnURL}); err != nil {
		return nil, err
	}
	if t.Nonce == "" {
		b := make([]byte, 12)
		rand.Read(b)
		t.Nonce = hex.EncodeToString(b)
	}
	data, _ := json.Marshal(t)
	enc := base64.RawURLEncoding.EncodeToString(data)
	l := linkRecord(&t, "/pay/"+enc+"."+linkSignature(m.SigningSecret, enc))
	if err := s.store.SaveLink(ctx, l); err != nil {
		return nil, fmt.Errorf("checkout: make link: %w", err)
	}
	return l, nil
}

// linkRecord is the record of a link with terms t at path.
func linkRecord(t *LinkTerms, path string) *payment.Link {
	l := &payment.Link{MerchantID: t.MerchantID, Nonce: t.Nonce, URL: path, Amount: t.Amount, Currency: t.Currency,
		Reference: t.Reference, ReturnURL: t.ReturnURL, PerVisit: t.PerVisit}
	if t.ExpiresAt != 0 {
		l.ExpiresAt = time.Unix(t.ExpiresAt, 0).UTC()
	}
	return l
}

func linkSignature(secret, data string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("link:" + data))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// ReadLink verifies a link token ("{terms}.{signature}") and returns its terms and merchant.
func (s *Service) ReadLink(ctx context.Context, token string) (*LinkTerms, *payment.Merchant, error) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 4096 {
		return nil, nil, ErrBadLink
	}
	data, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, nil, ErrBadLink
	}
	var t LinkTerms
	if err := json.Unmarshal(data, &t); err != nil || t.MerchantID == "" || t.Nonce == "" {
		return nil, nil, ErrBadLink
	}
	m, err := s.store.Merchant(ctx, t.MerchantID)
	if errors.Is(err, payment.ErrNotFound) {
		return nil, nil, ErrBadLink
	} else if err != nil {
		return nil, nil, err
	}
	if !hmac.Equal([]byte(sig), []byte(linkSignature(m.SigningSecret, enc))) {
		return nil, nil, ErrBadLink
	}
	if t.ExpiresAt != 0 && s.Now().Unix() >= t.ExpiresAt {
		return nil, nil, ErrBadLink
	}
	// A link minted before links were recorded has no row: it works as it always did, and is
	// recorded the first time it is read, from when on it can be listed and deactivated.
	l, err := s.store.LinkByNonce(ctx, t.Nonce)
	if err == nil && !l.DeactivatedAt.IsZero() {
		return nil, nil, ErrLinkDeactivated
	} else if err != nil && !errors.Is(err, payment.ErrNotFound) {
		return nil, nil, err
	} else if err != nil {
		if err := s.store.SaveLink(ctx, linkRecord(&t, "/pay/"+token)); err != nil {
			return nil, nil, fmt.Errorf("checkout: adopt link: %w", err)
		}
	}
	return &t, m, nil
}

// OpenLink returns the payment behind a link: the link's one payment, created on first use, or
// for per-visit links a new one per visit (visit names the visit, e.g. the session).
func (s *Service) OpenLink(ctx context.Context, token, visit string) (*payment.Payment, error) {
	t, m, err := s.ReadLink(ctx, token)
	if err != nil {
		return nil, err
	}
	key := "link:" + t.Nonce
	if t.PerVisit {
		key += ":" + visit
	}
	sum := sha256.Sum256([]byte(token))
	expiresIn := 900
	if t.ExpiresAt != 0 {
		expiresIn = int(min(time.Until(time.Unix(t.ExpiresAt, 0)), 24*time.Hour) / time.Second)
		expiresIn = max(expiresIn, 60)
	}
	// A payment that failed, was cancelled or expired does not close the link: the next visit
	// gets a fresh payment for the same terms. A completed one is shown as it is.
	for attempt := 1; attempt <= 50; attempt++ {
		k := key
		if attempt > 1 {
			k = fmt.Sprintf("%s:%d", key, attempt)
		}
		p, _, err := s.CreatePayment(ctx, m, NewPayment{Amount: t.Amount, Currency: t.Currency, Reference: t.Reference,
			ReturnURL: t.ReturnURL, ExpiresIn: expiresIn, Metadata: map[string]string{"payment_link": t.Nonce}}, k, hex.EncodeToString(sum[:]))
		if err != nil {
			return nil, fmt.Errorf("checkout: open link: %w", err)
		}
		if p.Expired(s.Now()) {
			if p, err = s.Expire(ctx, p); err != nil {
				return nil, err
			}
		}
		if !p.Status.Terminal() || p.Status == payment.StatusCompleted {
			return p, nil
		}
	}
	return nil, fmt.Errorf("checkout: open link: too many attempts: %w", ErrBadLink)
}
