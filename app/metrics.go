package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"paybybank/banks"
	"paybybank/store"
)

// businessMetrics are the operator's business series: the figures read from the database when
// /metrics is scraped, and the bank errors counted as they happen.
type businessMetrics struct {
	db     *store.DB
	logger *slog.Logger

	payments, attempts, backlog, oldest *prometheus.Desc
	bankErrors                          *prometheus.CounterVec
}

func newBusinessMetrics(db *store.DB, logger *slog.Logger) *businessMetrics {
	return &businessMetrics{db: db, logger: logger,
		payments: prometheus.NewDesc("paybybank_payments", "Payments by status and provider (empty before a bank is chosen).", []string{"status", "provider"}, nil),
		attempts: prometheus.NewDesc("paybybank_bank_attempts", "Shoppers' tries at a bank by outcome: the payment's status, or abandoned for a try left for another.",
			[]string{"provider", "bank", "outcome"}, nil),
		backlog: prometheus.NewDesc("paybybank_webhook_backlog", "Webhook deliveries waiting for a first or next try.", nil, nil),
		oldest: prometheus.NewDesc("paybybank_webhook_oldest_undelivered_seconds",
			"Age of the oldest webhook delivery still waiting; 0 when none waits.", nil, nil),
		bankErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paybybank_bank_call_errors_total",
			Help: "Failed bank calls (each try) by provider and code: the bank's error code, else its HTTP status, else no_answer."},
			[]string{"provider", "code"}),
	}
}

// observe is the banks' Transport.OnCall: it counts the failed calls.
func (m *businessMetrics) observe(c banks.CallResult) {
	if c.Code != "" {
		m.bankErrors.WithLabelValues(c.Provider, c.Code).Inc()
	}
}

// Describe implements prometheus.Collector.
func (m *businessMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.payments
	ch <- m.attempts
	ch <- m.backlog
	ch <- m.oldest
	m.bankErrors.Describe(ch)
}

// Collect implements prometheus.Collector: the database's figures are read now, so a scrape
// always shows the state of the database, whichever server made the changes.
func (m *businessMetrics) Collect(ch chan<- prometheus.Metric) {
	m.bankErrors.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := m.db.Stats(ctx)
	if err != nil {
		// A scrape without these series says the database did not answer; the log says why.
		m.logger.Warn("metrics: business figures", slog.String("error", err.Error()))
		return
	}
	for _, c := range st.Payments {
		ch <- prometheus.MustNewConstMetric(m.payments, prometheus.GaugeValue, float64(c.N), c.Status, c.Provider)
	}
	for _, c := range st.Attempts {
		ch <- prometheus.MustNewConstMetric(m.attempts, prometheus.GaugeValue, float64(c.N), c.Provider, c.BIC, c.Outcome)
	}
	ch <- prometheus.MustNewConstMetric(m.backlog, prometheus.GaugeValue, float64(st.WebhookBacklog))
	age := 0.0
	if !st.OldestUndelivered.IsZero() {
		// The store's clock stamped the delivery, so the store's clock measures its age.
		age = max(m.db.Now().Sub(st.OldestUndelivered).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, age)
}
