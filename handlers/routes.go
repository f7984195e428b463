package handlers

import (
	"io/fs"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"paybybank/static"
)

// Handler returns the one route table, wrapped in the middleware every request passes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// Every route is rate limited per client IP, pages that poll included: a shopper's page asks
	// for its status and QR frame once a second, far below the limit, while a burst from one
	// address is refused before it costs a database read or a QR encoding. An event stream is one
	// request, so it counts once, when it starts.
	handle := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, s.metrics.instrument(pattern, s.rateLimit(h)))
	}

	// Merchant API.
	handle("POST /api/v1/payments", s.api(s.createPayment))
	handle("GET /api/v1/payments", s.api(s.listPayments))
	handle("GET /api/v1/payments/export", s.api(s.exportPayments))
	handle("GET /api/v1/payments/{id}", s.api(s.getPayment))
	handle("POST /api/v1/payments/{id}/cancel", s.api(s.cancelPayment))
	handle("GET /api/v1/payments/{id}/webhooks", s.api(s.paymentWebhooks))
	handle("POST /api/v1/payments/{id}/refunds", s.api(s.createRefund))
	handle("GET /api/v1/payments/{id}/refunds", s.api(s.listRefunds))
	handle("GET /api/v1/refunds/{id}", s.api(s.getRefund))
	handle("POST /api/v1/refunds/{id}/cancel", s.api(s.cancelRefund))
	handle("POST /api/v1/webhooks/{event}/redeliver", s.api(s.redeliver))
	handle("PUT /api/v1/webhook", s.api(s.setWebhook))
	handle("POST /api/v1/payment-links", s.api(s.createLink))
	handle("GET /api/v1/payment-links", s.api(s.listLinks))
	handle("GET /api/v1/payment-links/{id}", s.api(s.getLink))
	handle("POST /api/v1/payment-links/{id}/deactivate", s.api(s.deactivateLink))
	handle("POST /api/v1/webhook-endpoints", s.api(s.createEndpoint))
	handle("GET /api/v1/webhook-endpoints", s.api(s.listEndpoints))
	handle("GET /api/v1/webhook-endpoints/{id}", s.api(s.getEndpoint))
	handle("DELETE /api/v1/webhook-endpoints/{id}", s.api(s.deleteEndpoint))
	handle("POST /api/v1/webhook-endpoints/{id}/test", s.api(s.testEndpoint))
	handle("POST /api/v1/webhook-endpoints/{id}/rotate-secret", s.api(s.rotateSecret))
	handle("GET /api/v1/webhook-endpoints/{id}/deliveries", s.api(s.endpointDeliveries))
	handle("GET /pay/{link}", s.page(s.openLink))
	handle("GET /pay/{link}/qr.png", s.linkQR)

	handle("GET /api/openapi.json", s.openapi)

	// Hosted checkout.
	handle("GET /checkout/{token}", s.page(s.checkoutPage))
	handle("POST /checkout/{token}/bank", s.form(s.chooseBank))
	handle("POST /checkout/{token}/retry", s.form(s.retry))
	handle("POST /checkout/{token}/change-bank", s.form(s.changeBank))
	handle("POST /checkout/{token}/otp", s.form(s.submitOTP))
	handle("GET /checkout/{token}/account", s.page(s.accountPage))
	handle("POST /checkout/{token}/account", s.form(s.submitAccount))
	handle("POST /checkout/{token}/account/use", s.form(s.useSavedAccount))
	handle("POST /checkout/{token}/account/forget", s.form(s.forgetAccount))
	handle("POST /checkout/{token}/account/fetch", s.form(s.fetchAccounts))
	handle("POST /checkout/{token}/account/pick", s.form(s.pickAccount))
	handle("POST /checkout/{token}/cancel", s.form(s.cancel))
	handle("POST /checkout/{token}/bankid/launch", s.form(s.launchBankID))
	handle("POST /checkout/{token}/bankid/qr", s.form(s.bankIDOtherDevice))
	handle("GET /checkout/{token}/status", s.checkoutStatus)
	handle("GET /checkout/{token}/events", s.checkoutEvents)
	handle("GET /checkout/{token}/qr.png", s.qrImage)
	handle("GET /checkout/{token}/return", s.page(s.backToShop))
	handle("GET /callback", s.page(s.callback))

	// The merchant's workspace (workspace_*.go): people sign in; their role decides the rest.
	handle("GET /merchant", s.page(s.merchantHome))
	handle("POST /merchant/login", s.form(s.signIn))
	handle("POST /merchant/login/code", s.form(s.signInCode))
	handle("POST /merchant/logout", s.form(s.signOut))
	handle("POST /merchant/logout/everywhere", s.form(s.ws(permRead, s.signOutEverywhere)))
	handle("GET /merchant/password/{token}", s.page(s.passwordPage))
	handle("POST /merchant/password/{token}", s.form(s.setPassword))
	handle("GET /merchant/payments.csv", s.page(s.ws(permRead, s.exportFromWorkspace)))
	handle("GET /merchant/payments/{id}", s.page(s.ws(permRead, s.paymentPage)))
	handle("POST /merchant/payments/{id}/cancel", s.form(s.ws(permCancel, s.cancelFromWorkspace)))
	handle("POST /merchant/payments/{id}/webhooks/{event}/redeliver", s.form(s.ws(permRedeliver, s.redeliverFromWorkspace)))
	handle("GET /merchant/links", s.page(s.ws(permRead, s.linksPage)))
	handle("GET /merchant/refunds", s.page(s.ws(permRefunds, s.refundsPage)))
	handle("POST /merchant/refunds", s.form(s.ws(permRefunds, s.authoriseRefunds)))
	handle("POST /merchant/links", s.form(s.ws(permLinks, s.createLinkFromWorkspace)))
	handle("POST /merchant/links/{id}/deactivate", s.form(s.ws(permLinks, s.deactivateLinkFromWorkspace)))
	handle("GET /merchant/webhooks", s.page(s.ws(permWebhooks, s.webhooksPage)))
	handle("POST /merchant/webhooks", s.form(s.ws(permWebhooks, s.addEndpoint)))
	handle("POST /merchant/webhooks/{id}/delete", s.form(s.ws(permWebhooks, s.deleteEndpointFromWorkspace)))
	handle("POST /merchant/webhooks/{id}/test", s.form(s.ws(permWebhooks, s.testEndpointFromWorkspace)))
	handle("POST /merchant/webhooks/{id}/rotate", s.form(s.ws(permWebhooks, s.rotateFromWorkspace)))
	handle("POST /merchant/webhooks/{id}/deliveries/{event}/redeliver", s.form(s.ws(permWebhooks, s.redeliverToEndpoint)))
	handle("GET /merchant/keys", s.page(s.ws(permKeys, s.keysPage)))
	handle("POST /merchant/keys", s.form(s.ws(permKeys, s.createKey)))
	handle("POST /merchant/keys/{id}/revoke", s.form(s.ws(permKeys, s.revokeKey)))
	handle("GET /merchant/people", s.page(s.ws(permPeople, s.peoplePage)))
	handle("POST /merchant/people", s.form(s.ws(permPeople, s.invite)))
	handle("POST /merchant/people/{id}/role", s.form(s.ws(permPeople, s.changeRole)))
	handle("GET /merchant/audit", s.page(s.ws(permAudit, s.auditPage)))
	handle("GET /merchant/security", s.page(s.ws(permRead, s.securityPage)))
	handle("POST /merchant/security/totp", s.form(s.ws(permRead, s.startTOTP)))
	handle("POST /merchant/security/totp/confirm", s.form(s.ws(permRead, s.confirmTOTP)))
	handle("POST /merchant/security/totp/off", s.form(s.ws(permRead, s.disableTOTP)))
	handle("GET /brand/{merchant}/theme.css", s.theme)
	handle("GET /brand/{merchant}/logo", s.logo)
	for name, h := range s.cfg.ProviderWebhooks {
		handle("POST /webhooks/"+name, h.ServeHTTP)
	}
	handle("GET /demo/return", s.demoReturn)
	handle("GET /healthz", s.healthz)
	handle("GET /readyz", s.readyz)
	files, _ := fs.Sub(static.Files, ".")
	mux.Handle("GET /static/", s.rateLimit(http.StripPrefix("/static/", cacheStatic(http.FileServerFS(files))).ServeHTTP))
	handle("GET /{$}", s.home)
	if s.sandbox != nil {
		mux.Handle("/sandbox/", s.rateLimit(s.sandboxLanguage(s.sandbox).ServeHTTP))
	}

	csrf := http.NewCrossOriginProtection()
	return s.recoverPanics(s.requestID(s.logRequests(s.securityHeaders(compress(csrf.Handler(mux))))))
}

// MetricsHandler serves the Prometheus metrics. It is not on the public route table: request
// counts by route, Go runtime figures and the like are for the operator, so main.go serves them on
// a listener of their own (loopback by default), and the public listener answers 404.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.gatherer, promhttp.HandlerOpts{})
}
