package handlers

import (
	"context"
	"crypto/hmac"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"paybybank/checkout"
	"paybybank/payment"
	"paybybank/static"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, "ok")
}

// probeEvery is how long a write probe's result stands: a load balancer polling /readyz from
// many places costs the database at most one small write a second.
const probeEvery = time.Second

// writeProbe caches the last write probe.
type writeProbe struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// check returns the last probe's result, probing again when it is older than probeEvery, and
// logs when readiness changes. The lock is held while probing, so concurrent checks share one probe.
func (p *writeProbe) check(ctx context.Context, probe func(context.Context) error, logger *slog.Logger) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); p.at.IsZero() || now.Sub(p.at) >= probeEvery {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		was := p.err
		p.err, p.at = probe(pctx), now
		switch {
		case p.err != nil && was == nil:
			logger.ErrorContext(ctx, "not ready: the database cannot write", slog.String("error", p.err.Error()))
		case p.err == nil && was != nil:
			logger.InfoContext(ctx, "ready again: the database writes")
		}
	}
	return p.err
}

// readyz is ready while the database can write: a full disk still reads, and a server that
// takes traffic it cannot store only turns it away. A probe that succeeds again makes it ready.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.probe.check(r.Context(), s.store.ProbeWrite, s.logger); err != nil {
		w.Header().Set("Retry-After", storageRetryAfter)
		http.Error(w, "database cannot write", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, "ready")
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>paybybank</title><link rel="stylesheet" href="`+static.URL("app.css")+`"></head><body><div class="wrap"><main class="card"><h1>paybybank</h1><p>A self-hosted pay-by-bank checkout. Create a payment with <code>POST /api/v1/payments</code> and send the shopper to its <code>checkout_url</code>.</p><p><a href="/healthz">Health</a> · <a href="/metrics">Metrics</a></p></main></div></body></html>`)
}

// demoReturn is the demo shop's return page: it verifies the signature on what the shopper
// carries back, as a merchant's own shop must.
func (s *Server) demoReturn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, status, sig := q.Get("payment_id"), q.Get("status"), q.Get("signature")
	verdict := "signature INVALID: do not trust this status"
	code := http.StatusBadRequest
	if ms, err := s.store.Merchants(r.Context()); err == nil {
		for _, m := range ms {
			if hmac.Equal([]byte(checkout.SignReturn(m.SigningSecret, id, payment.Status(status))), []byte(sig)) {
				verdict, code = "signature valid: "+m.Name+" can trust this status", http.StatusOK
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Demo shop</title><link rel="stylesheet" href="`+static.URL("app.css")+`"></head><body><div class="wrap"><main class="card"><h1>Demo shop: back from checkout</h1><p>Payment <code id="payment-id">%s</code> is <strong id="payment-status">%s</strong>.</p><p id="verdict">%s</p></main></div></body></html>`,
		html.EscapeString(id), html.EscapeString(status), html.EscapeString(verdict))
}
