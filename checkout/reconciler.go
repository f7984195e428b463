package checkout

import (
	"context"
	"log/slog"
	"time"

	"paybybank/payment"
)

// Reconciler polls unfinished payments with their banks: fast while a shopper is likely
// waiting, backing off as a payment ages, and it expires those past their time.
//
// With several servers (Service.Cluster) every server runs one, and the one holding the
// "reconciler" lease does the work: each tick renews it, and a server that died loses it after
// reconcilerLease, when another takes over. Every change it makes is a conditional transition
// too, so even a paused leader waking past its lease applies nothing twice.
type Reconciler struct {
	Service *Service
	// Tick is how often it wakes; each payment is checked when its own cadence says so.
	Tick       time.Duration
	last       map[string]time.Time
	lastSettle time.Time
	Logger     *slog.Logger
}

// reconcilerLease is how long a server holds the cluster's reconciling after its last tick.
const reconcilerLease = 10 * time.Second

// settleEvery is how often, with several servers, the leader settles bank calls cut short by a
// server's death (on one server that happens once, at start).
const settleEvery = 30 * time.Second

// lead reports whether this server does the cluster's reconciling now (always, on one server).
func (r *Reconciler) lead(ctx context.Context) bool {
	c := r.Service.Cluster
	if c == nil {
		return true
	}
	held, err := c.ClaimLease(ctx, "reconciler", max(reconcilerLease, 3*r.Tick))
	if err != nil {
		r.Logger.Warn("reconciler lease", slog.String("error", err.Error()))
	}
	return held
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
	if r.Service.Cluster != nil {
		r.runCluster(ctx)
		return
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

// runCluster is Run with several servers: every tick, the server holding the lease settles what
// dead servers left behind (now and then) and reconciles; the others wait their turn.
func (r *Reconciler) runCluster(ctx context.Context) {
	t := time.NewTicker(r.Tick)
	defer t.Stop()
	for {
		if r.lead(ctx) {
			if now := time.Now(); now.Sub(r.lastSettle) >= settleEvery {
				r.lastSettle = now
				if n, err := r.Service.SettleInterrupted(ctx); err != nil && ctx.Err() == nil {
					r.Logger.Warn("settle interrupted bank calls", slog.String("error", err.Error()))
				} else if n > 0 {
					r.Logger.Info("settled bank calls a dead server interrupted", slog.Int("attempts", n))
				}
				if err := r.Service.Cluster.DeleteExpiredLeases(ctx); err != nil && ctx.Err() == nil {
					r.Logger.Warn("expired leases", slog.String("error", err.Error()))
				}
			}
			if err := r.Step(ctx); err != nil && ctx.Err() == nil {
				r.Logger.Warn("reconcile", slog.String("error", err.Error()))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
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
