package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"paybybank/banks"
	"paybybank/i18n"
	"paybybank/payment"
)

// statusAnswer is what live.js reads each second.
type statusAnswer struct {
	Status payment.Status `json:"status"`
	Next   string         `json:"next,omitempty"` // set when the page must change: go there
	QR     string         `json:"qr,omitempty"`   // the current QR frame's URL
	// QRData is the current frame's payload, for the page to draw itself (static/lean-qr.js):
	// a frame a second per shopper then costs the server no encoding. It is what the image shows,
	// so it tells the shopper nothing the QR code does not. Empty when the bank sends images.
	QRData  string `json:"qr_data,omitempty"`
	Message string `json:"message,omitempty"`
	// Scan is the seconds the BankID order shown as a QR code has left to be scanned.
	Scan string `json:"scan,omitempty"`
}

// qrURL names the current QR frame; the query changes with every new payload, so no cache
// anywhere can show a stale frame.
func qrURL(base string, sca *banks.SCA) string {
	sum := sha256.Sum256(append([]byte(sca.QRData), sca.QRImage...))
	return base + "/qr.png?f=" + hex.EncodeToString(sum[:6])
}

// checkoutStatus moves the payment on with its bank (one poll a second, shared) and tells the
// page what to show. page= says which page asks, so it knows when to move on.
func (s *Server) checkoutStatus(w http.ResponseWriter, r *http.Request) {
	p, err := s.paymentFor(r)
	if err != nil {
		writeJSON(w, http.StatusNotFound, statusAnswer{})
		return
	}
	s.checkout.Seen(p.ID) // a page asking instead of streaming: someone is watching
	out, code := s.status(r, p, s.localizer(r, p))
	writeJSON(w, code, out)
}

// status is what the page should show now, and the HTTP status to answer with.
func (s *Server) status(r *http.Request, p *payment.Payment, l *i18n.Localizer) (statusAnswer, int) {
	pr, err := s.checkout.Progress(r.Context(), p, payment.CausePoll)
	if err != nil && pr == nil {
		return statusAnswer{Status: p.Status}, http.StatusBadGateway
	}
	p = pr.Payment
	base := "/checkout/" + p.Token
	out := statusAnswer{Status: p.Status}
	page := r.URL.Query().Get("page")
	if !livePage(page) {
		return out, http.StatusOK // not a page that waits for news: nothing to say
	}
	d := &drawing{pr: pr, next: pr.Next(isMobile(r)), mobile: isMobile(r)}
	d.pg.L = l
	// A page waits for news only while the payment is at its step and waits for the bank; a
	// lapsed BankID waits for the shopper's "Try again" instead.
	if v := stepViews[d.next.Step]; v.live != page || d.next.Retry {
		out.Next = base
	} else if v.partial != nil {
		v.partial(&out, base, d)
	}
	return out, http.StatusOK
}

// livePage reports whether page names a step's page that asks for news (stepViews' live).
func livePage(page string) bool {
	for _, v := range stepViews {
		if page != "" && v.live == page {
			return true
		}
	}
	return false
}

// bankIDNews is the BankID page's news: the current QR frame and what to tell the shopper.
func bankIDNews(out *statusAnswer, base string, d *drawing) {
	if sca := d.pr.SCA; sca != nil && (sca.QRData != "" || len(sca.QRImage) > 0) {
		out.QR, out.QRData, out.Scan = qrURL(base, sca), sca.QRData, scanWithin(sca.QRData)
	}
	out.Message = d.pg.L.T("bankid." + d.next.Message)
}

// streamFor bounds one event stream; the browser's EventSource then reconnects by itself.
const streamFor = 5 * time.Minute

// repollAfter is how long a stream waits to ask again when the bank sent the frame it sent last
// time: longer than the service shares a poll for (checkout.Service.PollEvery), so it is fresh.
const repollAfter = 600 * time.Millisecond

// minWake is the least time between two frames of a stream woken by changes (Subscribe).
const minWake = 100 * time.Millisecond

// checkoutEvents sends the page what /status would answer, once a second, over one response
// (server-sent events): a waiting shopper then costs one small write a second instead of a whole
// request. The stream ends when the page must move on, when the payment is gone, after
// streamFor, or when the server shuts down. live.js falls back to asking /status when a browser
// cannot hold a stream.
func (s *Server) checkoutEvents(w http.ResponseWriter, r *http.Request) {
	p, err := s.paymentFor(r)
	if err != nil {
		http.Error(w, "no such payment", http.StatusNotFound)
		return
	}
	// While the stream is open the bank is asked once a second; without it, at the reconciler's pace.
	defer s.checkout.Watch(p.ID)()
	// A change made elsewhere (a callback, a webhook, another server) is sent at once, not at the
	// next tick.
	changed, unsubscribe := s.store.Subscribe(p.ID)
	defer unsubscribe()
	rc := http.NewResponseController(w)
	// The server's read and write time-outs are for whole requests; a stream sets its own per write.
	rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // a proxy in front must not hold the frames back
	w.WriteHeader(http.StatusOK)
	l := s.localizer(r, p)
	end := time.NewTimer(streamFor)
	defer end.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	buf := []byte("retry: 1000\n")
	last, rephased, woken, sent := "", false, false, time.Time{}
	for first := true; ; first = false {
		if !first { // the payment may have moved since the last tick (the page read it just now)
			if p, err = s.store.PaymentByToken(r.Context(), r.PathValue("token")); err != nil {
				return
			}
		}
		out, code := s.status(r, p, l)
		if strings.HasPrefix(out.QRData, "bankid.") && out.QRData == last && !rephased && !woken {
			// An animated QR code whose second has not turned since our last tick: our ticks sit on
			// the edge of the bank's seconds. Ask again a little later (a fresh poll) and tick from
			// there on. (A legacy static code never changes and is sent as it is.)
			rephased = true
			select {
			case <-time.After(repollAfter):
				tick.Reset(time.Second)
				continue
			case <-r.Context().Done():
				return
			case <-s.streamsEnd:
				return
			}
		}
		rephased, last, woken, sent = false, out.QRData, false, time.Now()
		b, _ := json.Marshal(out)
		buf = append(append(append(buf, "data: "...), b...), "\n\n"...)
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(buf); err != nil || rc.Flush() != nil {
			return
		}
		buf = buf[:0]
		if out.Next != "" || code != http.StatusOK {
			return
		}
		select {
		case <-tick.C:
		case <-changed:
			// At most one extra frame per minWake: this stream's own polls write the payment too.
			woken = true
			if wait := minWake - time.Since(sent); wait > 0 {
				time.Sleep(wait)
			}
		case <-end.C:
			return
		case <-r.Context().Done():
			return
		case <-s.streamsEnd:
			return
		}
	}
}

// EndStreams ends every event stream, for a graceful shutdown (the browsers reconnect to the next
// server). Safe to call more than once.
func (s *Server) EndStreams() {
	s.endOnce.Do(func() { close(s.streamsEnd) })
}

// qrImage serves the current QR frame as PNG, never cached. Encodings are shared per payload.
func (s *Server) qrImage(w http.ResponseWriter, r *http.Request) {
	p, err := s.paymentFor(r)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if p.Status != payment.StatusAuthorising && p.Status != payment.StatusOpen {
		http.Error(w, "no QR code for this payment now", http.StatusGone)
		return
	}
	s.checkout.Seen(p.ID)
	sca, err := s.checkout.CurrentSCA(r.Context(), p)
	if errors.Is(err, payment.ErrNotFound) || (err == nil && sca.QRData == "" && len(sca.QRImage) == 0) {
		http.Error(w, "no QR code for this payment now", http.StatusGone)
		return
	} else if err != nil {
		http.Error(w, "bank unavailable", http.StatusBadGateway)
		return
	}
	png := sca.QRImage
	if len(png) == 0 {
		if png, err = s.encodeQR(sca.QRData); err != nil {
			http.Error(w, "cannot draw QR code", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

func (s *Server) encodeQR(payload string) ([]byte, error) {
	s.qrMu.Lock()
	png, ok := s.qrCache[payload]
	s.qrMu.Unlock()
	if ok {
		return png, nil
	}
	png, err := QRPNG(payload)
	if err != nil {
		return nil, err
	}
	s.qrMu.Lock()
	if len(s.qrCache) > 4096 {
		clear(s.qrCache) // frames live one second: dropping them all is cheaper than an LRU
	}
	s.qrCache[payload] = png
	s.qrMu.Unlock()
	return png, nil
}
