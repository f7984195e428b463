package openpaymentstest

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The snapshot types mirror the fake's memory so the sandbox can keep it in a file: a real bank
// does not forget its payments when our server is killed, and neither should the sandbox's.
type snapshot struct {
	Tokens    map[string]snapToken `json:"tokens"`
	Payments  []snapPayment        `json:"payments"`
	Auths     []snapAuth           `json:"auths"`
	RequestID []string             `json:"request_ids"`
}

type snapToken struct {
	Scope   string    `json:"scope"`
	Expires time.Time `json:"expires"`
}

type snapPayment struct {
	ID, Product, BIC, Status, PSUIP, Affiliate string
	Body                                       paymentBody
	SettleAt                                   time.Time
	Service, Context, CorporateID              string
	Bulk                                       *bulkBody
	ValidUntil                                 string `json:",omitempty"`
}

type snapAuth struct {
	ID, PaymentID, Method, SCAStatus, Approach string
	StartedAt                                  time.Time
	QRToken, QRSecret, AutostartToken          string
	Engaged                                    bool
	Hint, Code, RedirectURI                    string
	RejectPayment                              bool
	Created                                    time.Time
}

// Snapshot returns the fake's state as JSON, in one order, so that equal states give equal bytes
// (the sandbox writes its state file only when they differ).
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := snapshot{Tokens: map[string]snapToken{}}
	for k, t := range f.tokens {
		s.Tokens[k] = snapToken{t.scope, t.expires}
	}
	for _, p := range f.payments {
		s.Payments = append(s.Payments, snapPayment{p.id, p.product, p.bic, p.status, p.psuIP, p.affiliate, p.body, p.settleAt,
			p.service, p.context, p.corporateID, p.bulk, p.validUntil})
	}
	for _, a := range f.auths {
		s.Auths = append(s.Auths, snapAuth{a.id, a.paymentID, a.method, a.scaStatus, a.approach, a.startedAt, a.qrToken,
			a.qrSecret, a.autostartToken, a.engaged, a.hint, a.code, a.redirectURI, a.rejectPayment, a.created})
	}
	for id := range f.requestID {
		s.RequestID = append(s.RequestID, id)
	}
	slices.SortFunc(s.Payments, func(a, b snapPayment) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Auths, func(a, b snapAuth) int { return strings.Compare(a.ID, b.ID) })
	slices.Sort(s.RequestID)
	return json.Marshal(s)
}

// Restore replaces the fake's state with a snapshot.
func (f *Fake) Restore(data []byte) error {
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, t := range s.Tokens {
		f.tokens[k] = issuedToken{t.Scope, t.Expires}
	}
	for _, p := range s.Payments {
		service := p.Service
		if service == "" && p.Product != "consent" {
			service = "payments" // a snapshot from before the bulk service
		}
		f.payments[p.ID] = &fakePayment{id: p.ID, product: p.Product, bic: p.BIC, status: p.Status, psuIP: p.PSUIP, affiliate: p.Affiliate, body: p.Body, settleAt: p.SettleAt,
			service: service, context: p.Context, corporateID: p.CorporateID, bulk: p.Bulk, validUntil: p.ValidUntil}
	}
	for _, a := range s.Auths {
		fa := &fakeAuth{id: a.ID, paymentID: a.PaymentID, method: a.Method, scaStatus: a.SCAStatus, approach: a.Approach,
			startedAt: a.StartedAt, qrToken: a.QRToken, qrSecret: a.QRSecret, autostartToken: a.AutostartToken, engaged: a.Engaged,
			hint: a.Hint, code: a.Code, redirectURI: a.RedirectURI, rejectPayment: a.RejectPayment, created: a.Created}
		f.auths[a.ID] = fa
		if fa.code != "" && fa.scaStatus == "psuAuthenticated" {
			f.codes[fa.code] = fa
		}
	}
	for _, id := range s.RequestID {
		f.requestID[id] = true
	}
	return nil
}
