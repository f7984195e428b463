// Package webhooks delivers merchants' payment events from the durable outbox, signed per the
// Standard Webhooks convention, retrying with exponential backoff and jitter for up to 3 days.
// Signing is hand-written: it is one HMAC over "id.timestamp.body", and the convention's Go
// library would add a dependency for those few lines.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"paybybank/payment"
)

// Store is what the dispatcher needs of the outbox.
type Store interface {
	DueWebhooks(ctx context.Context, now time.Time, limit int) ([]payment.DueWebhook, error)
	RecordAttempt(ctx context.Context, eventID, endpointID string, a payment.WebhookAttempt, delivered bool, next time.Time) error
}

// Sign returns the webhook-signature header value: "v1," and the base64 HMAC-SHA256 of
// "{id}.{timestamp}.{body}", keyed with the base64-decoded part of a "whsec_" secret.
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhooks: secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, timestamp)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Signatures returns the webhook-signature header value for a message signed with each of
// secrets: the signatures separated by spaces, as Standard Webhooks allows, so a receiver that
// knows either secret accepts it while a rotation overlaps.
func Signatures(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", fmt.Errorf("webhooks: no signing secret")
	}
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		sig, err := Sign(secret, id, timestamp, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// schedule is the wait before each retry, after the Standard Webhooks recommendation.
var schedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

// MaxAge is how long an event is retried before it is given up.
const MaxAge = 72 * time.Hour

// NextAttempt returns when to retry an event created at created that has failed attempts times,
// with ±20 % jitter, or the zero time once the next try would fall past MaxAge.
func NextAttempt(created, now time.Time, attempts int) time.Time {
	d := schedule[len(schedule)-1]
	if attempts-1 < len(schedule) {
		d = schedule[max(attempts-1, 0)]
	}
	d += time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	next := now.Add(d)
	if next.Sub(created) > MaxAge {
		return time.Time{}
	}
	return next
}

// Dispatcher sends due deliveries: each event to each endpoint that wants it, each delivery
// retried on its own schedule with the event's id. Several go out at once; one slow endpoint does
// not hold up the others beyond its time-out.
type Dispatcher struct {
	store  Store
	client *http.Client
	logger *slog.Logger
	now    func() time.Time
	// Tick is how often Run looks for due events; a second by default.
	Tick time.Duration
}

// New returns a dispatcher sending store's due events with client (nil: a 10 s time-out); now
// is the clock deliveries fall due by (nil: time.Now), the same the store reads (app.Config.Now).
func New(store Store, client *http.Client, logger *slog.Logger, now func() time.Time) *Dispatcher {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{store: store, client: client, logger: logger, now: now}
}

// Run delivers due events every Tick until ctx ends. Events survive restarts: they are rows.
func (d *Dispatcher) Run(ctx context.Context) {
	if d.Tick == 0 {
		d.Tick = time.Second
	}
	t := time.NewTicker(d.Tick)
	defer t.Stop()
	for {
		d.DeliverDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverDue sends every event due now and returns how many were delivered.
func (d *Dispatcher) DeliverDue(ctx context.Context) int {
	due, err := d.store.DueWebhooks(ctx, d.now(), 100)
	if err != nil {
		d.logger.WarnContext(ctx, "webhooks due", slog.String("error", err.Error()))
		return 0
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	delivered := 0
	sem := make(chan struct{}, 8)
	for _, dl := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if d.deliver(ctx, dl) {
				mu.Lock()
				delivered++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return delivered
}

func (d *Dispatcher) deliver(ctx context.Context, dl payment.DueWebhook) bool {
	now := d.now()
	a := payment.WebhookAttempt{URL: dl.URL, AttemptedAt: now}
	ok := false
	if dl.URL == "" {
		a.Error = "no webhook endpoint configured"
	} else if err := d.post(ctx, dl, now, &a); err != nil {
		a.Error = err.Error()
	} else {
		ok = a.StatusCode >= 200 && a.StatusCode < 300
	}
	var next time.Time
	if !ok {
		next = NextAttempt(dl.Event.CreatedAt, now, dl.Event.Attempts+1)
	}
	if err := d.store.RecordAttempt(context.WithoutCancel(ctx), dl.Event.ID, dl.EndpointID, a, ok, next); err != nil {
		d.logger.ErrorContext(ctx, "webhook attempt not recorded", slog.String("event_id", dl.Event.ID), slog.String("error", err.Error()))
	}
	d.logger.InfoContext(ctx, "webhook", slog.String("event_id", dl.Event.ID), slog.String("endpoint_id", dl.EndpointID),
		slog.String("type", dl.Event.Type), slog.Int("status", a.StatusCode), slog.Bool("delivered", ok), slog.String("error", a.Error))
	return ok
}

func (d *Dispatcher) post(ctx context.Context, dl payment.DueWebhook, now time.Time, a *payment.WebhookAttempt) error {
	body := []byte(dl.Event.Payload)
	ts := now.Unix()
	sig, err := Signatures(dl.Secrets, dl.Event.ID, ts, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", dl.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paybybank-webhooks/1")
	req.Header.Set("webhook-id", dl.Event.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := d.client.Do(req)
	a.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.StatusCode = resp.StatusCode
	return nil
}
