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
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.metrics.instrument(pattern, h)) }
	limited := func(h http.HandlerFunc) http.HandlerFunc { return s.rateLimit(h) }

	// Merchant API.
	handle("POST /api/v1/payments", limited(s.api(s.createPayment)))
	handle("GET /api/v1/payments", limited(s.api(s.listPayments)))
	handle("GET /api/v1/payments/{id}", limited(s.api(s.getPayment)))
	handle("POST /api/v1/payments/{id}/cancel", limited(s.api(s.cancelPayment)))
	handle("GET /api/v1/payments/{id}/webhooks", limited(s.api(s.paymentWebhooks)))
	handle("POST /api/v1/webhooks/{event}/redeliver", limited(s.api(s.redeliver)))
	handle("PUT /api/v1/webhook", limited(s.api(s.setWebhook)))
	handle("POST /api/v1/payment-links", limited(s.api(s.createLink)))
	handle("GET /pay/{link}", limited(s.page(s.openLink)))
	handle("GET /pay/{link}/qr.png", limited(s.linkQR))

	handle("GET /api/openapi.json", s.openapi)

	// Hosted checkout.
	handle("GET /checkout/{token}", limited(s.page(s.checkoutPage)))
	handle("POST /checkout/{token}/bank", limited(s.form(s.chooseBank)))
	handle("POST /checkout/{token}/retry", limited(s.form(s.retry)))
	handle("POST /checkout/{token}/otp", limited(s.form(s.submitOTP)))
	handle("GET /checkout/{token}/account", limited(s.page(s.accountPage)))
	handle("POST /checkout/{token}/account", limited(s.form(s.submitAccount)))
	handle("POST /checkout/{token}/account/use", limited(s.form(s.useSavedAccount)))
	handle("POST /checkout/{token}/account/forget", limited(s.form(s.forgetAccount)))
	handle("POST /checkout/{token}/account/fetch", limited(s.form(s.fetchAccounts)))
	handle("POST /checkout/{token}/account/pick", limited(s.form(s.pickAccount)))
	handle("POST /checkout/{token}/cancel", limited(s.form(s.cancel)))
	handle("POST /checkout/{token}/bankid/launch", limited(s.form(s.launchBankID)))
	handle("GET /checkout/{token}/status", s.checkoutStatus)
	handle("GET /checkout/{token}/events", limited(s.checkoutEvents))
	handle("GET /checkout/{token}/qr.png", s.qrImage)
	handle("GET /checkout/{token}/return", s.page(s.backToShop))
	handle("GET /callback", limited(s.page(s.callback)))

	handle("GET /merchant", limited(s.page(s.merchantHome)))
	handle("POST /merchant/login", limited(s.form(s.merchantLogin)))
	handle("POST /merchant/logout", limited(s.form(s.merchantLogout)))
	handle("GET /brand/{merchant}/theme.css", s.theme)
	handle("GET /brand/{merchant}/logo", s.logo)
	handle("POST /webhooks/powens", limited(s.powensWebhook))
	handle("GET /demo/return", s.demoReturn)
	handle("GET /healthz", s.healthz)
	handle("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.gatherer, promhttp.HandlerOpts{}))
	files, _ := fs.Sub(static.Files, ".")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(files))))
	handle("GET /{$}", s.home)
	if s.sandbox != nil {
		mux.Handle("/sandbox/", limited(s.sandbox.ServeHTTP))
	}

	csrf := http.NewCrossOriginProtection()
	return s.recoverPanics(s.requestID(s.logRequests(securityHeaders(compress(csrf.Handler(mux))))))
}
