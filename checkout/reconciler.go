package checkout

import (
	"context"
	"log/slog"
	"time"

	"paybybank/payment"
)

// Reconciler polls unfinished payments with their banks: fast while a shopper is likely
// waiting, backing off as a payment ages, and it expires those past their time.
type Reconciler struct {
	Service *Service
	// Tick is how often it wakes; each payment is checked when its own cadence says so.
	Tick   time.Duration
	last   map[string]time.Time
	Logger *slog.Logger
}

// cadence is how often a payment last changed at age is asked about.
func cadence(age time.Duration) time.Duration {
	switch {
	case age < 10*time.Minute:
		return 0 // every tick
	case age < time.Hour:
		return 30 * time.Second
	case age < 24*time.Hour:
		return 5 * time.Minute
	}
	return time.Hour
}

// Run settles what a crash left behind (bank calls cut short, unfinished payments), then
// reconciles on every tick until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	if r.Tick == 0 {
		r.Tick = 2 * time.Second
	}
	// Bank choices a crash cut short are settled first, so their shoppers may choose again at once.
	if n, err := r.Service.SettleInterrupted(ctx); err != nil {
		r.Logger.Warn("settle interrupted bank calls at start", slog.String("error", err.Error()))
	} else if n > 0 {
		r.Logger.Info("settled bank calls a crash interrupted", slog.Int("attempts", n))
	}
	if n, err := r.Service.Reconcile(ctx, nil); err != nil {
		r.Logger.Warn("reconcile at start", slog.String("error", err.Error()))
	} else {
		r.Logger.Info("reconciled unfinished payments at start", slog.Int("moved", n))
	}
	t := time.NewTicker(r.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.Step(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("reconcile", slog.String("error", err.Error()))
		}
	}
}

// Step is one tick of Run: it asks about the payments whose turn it is.
func (r *Reconciler) Step(ctx context.Context) error {
	if r.last == nil {
		r.last = map[string]time.Time{}
	}
	now := r.Service.Now()
	_, err := r.Service.Reconcile(ctx, func(p *payment.Payment) bool {
		if !r.Service.reconcileDue(p, now, r.last[p.ID]) {
			return false
		}
		r.last[p.ID] = now
		return true
	})
	if len(r.last) > 100000 {
		clear(r.last)
	}
	return err
}
