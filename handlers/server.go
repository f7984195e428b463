// Package handlers is paybybank's HTTP surface: one route table (routes.go), the merchant API,
// the hosted checkout pages, the bank callback and the middleware around them.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gorilla/sessions"
	"github.com/prometheus/client_golang/prometheus"

	"paybybank/checkout"
	"paybybank/payment"
	"paybybank/store"
)

// Store is what the handlers read directly; everything that changes a payment goes through the
// checkout service.
type Store interface {
	MerchantByAPIKey(ctx context.Context, key string) (*payment.Merchant, error)
	APIKeys(ctx context.Context, merchantID string) ([]store.APIKey, error)
	RevokeAPIKey(ctx context.Context, merchantID, id string) error
	Merchant(ctx context.Context, id string) (*payment.Merchant, error)
	Merchants(ctx context.Context) ([]*payment.Merchant, error)
	MerchantPayment(ctx context.Context, merchantID, id string) (*payment.Payment, error)
	PaymentByToken(ctx context.Context, token string) (*payment.Payment, error)
	Payments(ctx context.Context, merchantID string, f PaymentFilter) ([]*payment.Payment, string, error)
	Events(ctx context.Context, paymentID string) ([]payment.Event, error)
	ActiveAuthorisation(ctx context.Context, paymentID string) (*payment.Attempt, error)
	ProbeWrite(ctx context.Context) error
	Logo(ctx context.Context, merchantID string) ([]byte, string, error)
	SetWebhook(ctx context.Context, merchantID, url string) (string, error)
	PaymentWebhooks(ctx context.Context, paymentID string) ([]payment.WebhookEvent, error)
	Redeliver(ctx context.Context, merchantID, eventID string) error
	WebhookStates(ctx context.Context, paymentIDs []string) (map[string]string, error)
	BeginIdempotent(ctx context.Context, merchantID, key, request, hash string) (*payment.StoredResponse, error)
	FinishIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error
	Links(ctx context.Context, merchantID, before string, limit int) ([]*payment.Link, string, error)
	Link(ctx context.Context, merchantID, id string) (*payment.Link, error)
	DeactivateLink(ctx context.Context, merchantID, id string) (*payment.Link, error)
	CreateWebhookEndpoint(ctx context.Context, merchantID, url string, eventTypes []string) (*payment.WebhookEndpoint, error)
	WebhookEndpoints(ctx context.Context, merchantID string) ([]*payment.WebhookEndpoint, error)
	WebhookEndpoint(ctx context.Context, merchantID, id string) (*payment.WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, merchantID, id string) (*payment.WebhookEndpoint, error)
	RotateWebhookSecret(ctx context.Context, merchantID, id string, overlap time.Duration) (*payment.WebhookEndpoint, error)
	SendTestEvent(ctx context.Context, merchantID, endpointID string) (string, error)
	EndpointDeliveries(ctx context.Context, merchantID, endpointID string, limit int) ([]payment.WebhookDelivery, error)
	CreateRefund(ctx context.Context, r *payment.Refund, idemKey, requestHash string) (*payment.Refund, bool, error)
	MerchantRefund(ctx context.Context, merchantID, id string) (*payment.Refund, error)
	RefundsOf(ctx context.Context, paymentID string) ([]*payment.Refund, error)
	RefundEvents(ctx context.Context, refundID string) ([]store.RefundEvent, error)
	TransitionRefund(ctx context.Context, id string, from, to payment.RefundStatus, reason, batchID string) (*payment.Refund, error)
	RefundedAmounts(ctx context.Context, paymentIDs []string) (map[string]int64, error)
	RefundsAwaiting(ctx context.Context, merchantID string) ([]*payment.Refund, error)
	RefundsInBatch(ctx context.Context, batchID string) ([]*payment.Refund, error)
	RecentRefunds(ctx context.Context, merchantID string, limit int) ([]*payment.Refund, error)
	RefundOrder(ctx context.Context, merchantID, id string) (*payment.Payment, error)
	RefundAccount(ctx context.Context, merchantID string) (*payment.RefundAccount, error)
	// Subscribe wakes a shopper's event stream when its payment changes, on any server.
	Subscribe(paymentID string) (<-chan struct{}, func())
	WorkspaceStore
}

// WorkspaceStore is what the merchant's workspace reads and writes beyond payments: people,
// their sessions and second factor, sign-in failures and the audit log.
type WorkspaceStore interface {
	CreateAPIKey(ctx context.Context, merchantID string) (string, error)
	PaymentFacets(ctx context.Context, merchantID string) (bics, providers []string, err error)
	CreateUser(ctx context.Context, merchantID, email string, role store.Role) (*store.User, string, error)
	User(ctx context.Context, id string) (*store.User, error)
	Users(ctx context.Context, merchantID string) ([]store.User, error)
	SetRole(ctx context.Context, merchantID, userID string, role store.Role) error
	PasswordTokenUser(ctx context.Context, token string) (*store.User, error)
	SetPassword(ctx context.Context, token, password string) (*store.User, error)
	CheckPassword(ctx context.Context, email, password string) (*store.User, error)
	EnableTOTP(ctx context.Context, userID, secret, code string) error
	DisableTOTP(ctx context.Context, userID string) error
	UseTOTP(ctx context.Context, userID, code string) error
	StartUserSession(ctx context.Context, userID, ip string) (string, error)
	SessionUser(ctx context.Context, token string) (*store.User, error)
	EndUserSession(ctx context.Context, token string) error
	EndUserSessions(ctx context.Context, userID string) (int, error)
	RecordSignInFailure(ctx context.Context, email, ip string) error
	SignInFailures(ctx context.Context, scope, key string, window time.Duration) (int, error)
	ClearSignInFailures(ctx context.Context, email string) error
	Audit(ctx context.Context, e store.AuditEntry) error
	AuditLog(ctx context.Context, merchantID string, before int64, limit int) ([]store.AuditEntry, int64, error)
}

// PaymentFilter narrows a payment listing (the store's type, named here for the interface).
type PaymentFilter = payment.ListFilter

// Config is the handlers' share of the configuration.
type Config struct {
	PublicURL    string
	BankIDAppURL string // where "Open BankID" sends a phone: BankID's app link, or the sandbox's app
	Sandbox      bool
	// Production refuses plain-http webhook endpoints, even on loopback.
	Production bool
	// ProviderWebhooks are the providers' inbound webhook handlers by provider name, each served
	// at POST /webhooks/<name> (app makes them from the providers' registrations).
	ProviderWebhooks map[string]http.Handler
	// RateLimit is requests per second per client IP on public endpoints (0: off); Burst its bucket.
	RateLimit float64
	Burst     int
	// TrustedProxies are the proxies in front of us whose X-Forwarded-For tells the shopper's
	// address (for rate limits and the banks' PSU-IP-Address); empty: the connection's address.
	TrustedProxies []netip.Prefix
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg      Config
	store    Store
	checkout *checkout.Service
	sessions sessions.Store
	logger   *slog.Logger
	sandbox  http.Handler
	metrics  *metrics
	limiter  *limiter

	qrMu    sync.Mutex
	qrCache map[string][]byte // QR PNGs by payload: every tab of an order shares one encoding a second

	bankLists bankLists // drawn bank lists, see banklist.go

	streamsEnd chan struct{} // closed by EndStreams
	endOnce    sync.Once

	probe writeProbe // /readyz's cached write probe, see misc.go
}

// New returns the HTTP server's handlers. sandbox may be nil.
func New(cfg Config, store Store, svc *checkout.Service, sess sessions.Store, logger *slog.Logger, sandbox http.Handler, reg prometheus.Registerer) *Server {
	return &Server{cfg: cfg, store: store, checkout: svc, sessions: sess, logger: logger, sandbox: sandbox,
		metrics: newMetrics(reg), limiter: newLimiter(cfg.RateLimit, cfg.Burst), qrCache: map[string][]byte{}, streamsEnd: make(chan struct{})}
}
