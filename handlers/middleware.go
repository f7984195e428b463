package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/time/rate"

	"paybybank/banks"
)

type ctxKey int

const requestIDKey ctxKey = iota

func requestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// requestID gives every request an id, in the response and in every log line and bank call log.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := uuid.NewString()
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = banks.WithRequestID(ctx, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request. Paths are logged, query strings never: they may hold
// OAuth codes and states.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || (sw.status < 400 && isPollPath(r.URL.Path)) {
			level = slog.LevelDebug
		}
		s.logger.Log(r.Context(), level, "http", slog.String("request_id", requestIDFrom(r.Context())),
			slog.String("method", r.Method), slog.String("path", logPath(r.URL.Path)), slog.Int("status", sw.status),
			slog.Duration("took", time.Since(start)))
	})
}

func isPollPath(p string) bool {
	n := len(p)
	return (n > 7 && p[n-7:] == "/status") || (n > 7 && p[n-7:] == "/qr.png")
}

// logPath hides checkout tokens: they grant access to a payment page.
func logPath(p string) string {
	const prefix = "/checkout/"
	if len(p) > len(prefix) && p[:len(prefix)] == prefix {
		rest := p[len(prefix):]
		for i := 0; i < len(rest); i++ {
			if rest[i] == '/' {
				return prefix + "…" + rest[i:]
			}
		}
		return prefix + "…"
	}
	return p
}

// securityHeaders sets a strict CSP (no inline script, no third-party host) and friends.
var securityHeaderValues = map[string][]string{
	"Content-Security-Policy": {"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"},
	"X-Content-Type-Options":  {"nosniff"},
	"Referrer-Policy":         {"no-referrer"},
	"X-Frame-Options":         {"DENY"},
}

// securityHeaders sets the headers above, and Strict-Transport-Security whenever the public URL
// is https: TLS usually ends at a proxy in front of us, so the request we see is plain http
// even though the shopper's browser spoke https.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	https := strings.HasPrefix(s.cfg.PublicURL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range securityHeaderValues {
			h[k] = v // shared slices, never changed: Set would allocate four per request
		}
		if https || r.TLS != nil {
			h["Strict-Transport-Security"] = hstsValue
		}
		next.ServeHTTP(w, r)
	})
}

var hstsValue = []string{"max-age=31536000"}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == http.ErrAbortHandler {
				panic(v) // net/http cuts the connection: a stream broken midway must not look complete
			}
			if v != nil {
				s.logger.ErrorContext(r.Context(), "panic", slog.String("request_id", requestIDFrom(r.Context())),
					slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limiter is a token bucket per client IP for the public endpoints.
type limiter struct {
	mu      sync.Mutex
	rps     rate.Limit
	burst   int
	buckets map[string]*bucket
}

type bucket struct {
	*rate.Limiter
	seen time.Time
}

func newLimiter(rps float64, burst int) *limiter {
	if burst <= 0 {
		burst = int(rps * 3)
	}
	return &limiter{rps: rate.Limit(rps), burst: burst, buckets: map[string]*bucket{}}
}

func (l *limiter) allow(ip string) bool {
	if l.rps <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[ip]
	if b == nil {
		b = &bucket{Limiter: rate.NewLimiter(l.rps, l.burst)}
		l.buckets[ip] = b
	}
	b.seen = now
	return b.Allow()
}

func (s *Server) rateLimit(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.limiter.allow(s.clientIP(r)) {
			w.Header().Set("Retry-After", "1")
			if len(r.URL.Path) > 5 && r.URL.Path[:5] == "/api/" {
				writeProblem(w, r, s.logger, &apiError{Status: 429, Code: "rate_limited", Title: "Too many requests", Detail: "slow down and retry after a second"})
				return
			}
			s.renderError(w, r, http.StatusTooManyRequests, "error.ratelimit", "")
			return
		}
		h(w, r)
	}
}

type metrics struct {
	gatherer prometheus.Gatherer
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		r := prometheus.NewRegistry()
		reg = r
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paybybank_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paybybank_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	if g, ok := reg.(prometheus.Gatherer); ok {
		m.gatherer = g
		reg.Register(collectors.NewGoCollector())
	} else {
		m.gatherer = prometheus.DefaultGatherer
	}
	return m
}

func (m *metrics) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.status == 0 {
			sw.status = 200
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
