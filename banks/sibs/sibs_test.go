package sibs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/banks/httpsig"
	"paybybank/banks/sibs"
	"paybybank/banks/sibs/sibstest"
)

func setup(t *testing.T, clientID string, trust bool) *sibs.Client {
	fake := sibstest.New("client-1")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.PageURL = srv.URL
	cert, key, _ := httpsig.NewTestCertificate("Loja Lda")
	if trust {
		fake.Trust(cert)
	}
	return sibs.New(sibs.Config{BaseURL: srv.URL, ClientID: clientID, Cert: cert, Key: key, Backoff: time.Millisecond,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func request(bic string) banks.PaymentRequest {
	return banks.PaymentRequest{BIC: bic, Amount: "10.00", Currency: "EUR", CreditorName: "Loja Lda", Creditor: banks.Account{IBAN: "PT50000201231234567890154"},
		Reference: "Encomenda 1", PSU: banks.PSU{IPAddress: "192.0.2.1"}, State: "s", RedirectURI: "https://pay.example/callback"}
}

func TestCreateAndEmbedded(t *testing.T) {
	c := setup(t, "client-1", true)
	ctx := context.Background()
	list, err := c.Banks(ctx)
	if err != nil || len(list) != 2 || list[0].Country != "PT" || !list[0].TSU {
		t.Fatalf("banks %v %v", list, err)
	}
	created, err := c.CreatePayment(ctx, request("BTSTPTPL"))
	if err != nil || created.RedirectURL == "" {
		t.Fatalf("redirect bank: %+v %v", created, err)
	}
	created, err = c.CreatePayment(ctx, request("BOTPPTPL"))
	if err != nil || created.RedirectURL != "" {
		t.Fatalf("embedded bank: %+v %v", created, err)
	}
	o := banks.Order{BIC: "BOTPPTPL", Product: created.Product, PaymentID: created.PaymentID, PSU: request("").PSU, Extra: created.Extra}
	sca, err := c.StartSCA(ctx, o, banks.SCARequest{})
	if err != nil || sca.Approach != banks.Embedded || sca.Extra["otp_length"] != "6" {
		t.Fatalf("embedded SCA %+v %v", sca, err)
	}
	o.AuthorisationID = sca.AuthorisationID
	var be *banks.Error
	if _, err := c.SubmitOTP(ctx, o, "999999"); !errors.As(err, &be) || be.Code != "PSU_CREDENTIALS_INVALID" || be.Message != "the code is not correct" {
		t.Fatalf("wrong OTP: %v", err)
	}
	if done, err := c.SubmitOTP(ctx, o, sibstest.OTP); err != nil || !done {
		t.Fatalf("OTP: %v %v", done, err)
	}
	if st, _ := c.Status(ctx, o); st != "ACSC" {
		t.Fatalf("status %s", st)
	}
	// The gateway's misspelled codes are matched as it sends them.
	o.PaymentID = "nope"
	if _, err := c.Status(ctx, o); !errors.As(err, &be) || be.Code != "RESOURCE_UNIKNOWN" || be.Message != "the payment is unknown at the bank" {
		t.Fatalf("unknown payment: %v", err)
	}
	o.Product = "nope-product"
	if _, err := c.Status(ctx, o); !errors.As(err, &be) || be.Code != "PRODUCT_UNKNOWN" {
		t.Fatalf("unknown product: %v", err)
	}
}

func TestGatewayRejects(t *testing.T) {
	ctx := context.Background()
	var be *banks.Error
	if _, err := setup(t, "wrong-client", true).Banks(ctx); !errors.As(err, &be) || be.Code != "CONSENT_UNKNOWN" {
		t.Fatalf("wrong client id: %v", err)
	}
	if _, err := setup(t, "client-1", false).Banks(ctx); !errors.As(err, &be) || be.Code != "CERTIFICATE_INVALID" {
		t.Fatalf("untrusted certificate: %v", err)
	}
	c := setup(t, "client-1", true)
	req := request("BTSTPTPL")
	req.TSU = &banks.TSU{SocialSecurityAccountCode: "SSMN", TaxpayerID: "501234567", ReferencePeriod: "202611"}
	if _, err := c.CreatePayment(ctx, req); err == nil {
		t.Fatal("a TSU payment without the payer's IBAN went out")
	}
	req.Debtor = &banks.Account{IBAN: "PT50000201231234567890154"}
	req.TSU.ReferencePeriod = "2026-11"
	if _, err := c.CreatePayment(ctx, req); !errors.As(err, &be) || be.Code != "FORMAT_ERROR" {
		t.Fatalf("bad period: %v", err)
	}
	req.TSU.ReferencePeriod = "202611"
	if created, err := c.CreatePayment(ctx, req); err != nil || created.Product != "tsu-payments" {
		t.Fatalf("TSU: %+v %v", created, err)
	}
}
