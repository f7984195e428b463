package checkout

import (
	"testing"

	"paybybank/banks"
	"paybybank/payment"
)

// TestNext covers every state a payment and its active attempt can be in, on a phone and on a
// computer: the step the page shows, whether it offers "Try again", and what BankID says.
func TestNext(t *testing.T) {
	consent := func(approach payment.Approach, status payment.SCAStatus) *payment.Attempt {
		return &payment.Attempt{Product: banks.ConsentProduct, Approach: approach, SCAStatus: status, BankPaymentID: "c-1"}
	}
	attempt := func(approach payment.Approach, status payment.SCAStatus) *payment.Attempt {
		return &payment.Attempt{Approach: approach, SCAStatus: status, BankPaymentID: "p-1"}
	}
	qr := &banks.SCA{Status: "started", QRData: "bankid.1.2.3"}
	type want struct {
		step    payment.Step
		retry   bool
		message string
	}
	for _, tc := range []struct {
		name      string
		status    payment.Status
		auth      *payment.Attempt
		sca       *banks.SCA
		retryable bool
		hint      string
		phone     want
		computer  want
	}{
		{name: "open, no attempt", status: payment.StatusOpen,
			phone: want{step: payment.StepBankChoice}, computer: want{step: payment.StepBankChoice}},
		{name: "open, bank call in flight", status: payment.StatusOpen, auth: attempt("", payment.SCAPending),
			phone: want{step: payment.StepBankChoice}, computer: want{step: payment.StepBankChoice}},
		{name: "open, bank choice given up", status: payment.StatusOpen, auth: attempt("", payment.SCALost),
			phone: want{step: payment.StepBankChoice}, computer: want{step: payment.StepBankChoice}},
		{name: "consent by BankID, started", status: payment.StatusOpen, auth: consent(payment.ApproachDecoupled, "started"), hint: "started",
			phone: want{step: payment.StepBankID, message: "RFA15B"}, computer: want{step: payment.StepBankID, message: "RFA15A"}},
		{name: "consent by BankID, QR shown", status: payment.StatusOpen, auth: consent(payment.ApproachDecoupled, "started"), sca: qr,
			phone: want{step: payment.StepBankID, message: "RFA1QR"}, computer: want{step: payment.StepBankID, message: "RFA1QR"}},
		{name: "consent finalised", status: payment.StatusOpen, auth: consent(payment.ApproachDecoupled, payment.SCAFinalised),
			phone: want{step: payment.StepAccount}, computer: want{step: payment.StepAccount}},
		{name: "consent failed", status: payment.StatusOpen, auth: consent(payment.ApproachRedirect, payment.SCAFailed),
			phone: want{step: payment.StepAccount}, computer: want{step: payment.StepAccount}},
		{name: "consent lapsed", status: payment.StatusOpen, auth: consent(payment.ApproachDecoupled, "started"), retryable: true,
			phone: want{step: payment.StepAccount}, computer: want{step: payment.StepAccount}},
		{name: "consent by redirect", status: payment.StatusOpen, auth: consent(payment.ApproachRedirect, "received"),
			phone: want{step: payment.StepAtBank}, computer: want{step: payment.StepAtBank}},
		{name: "authorising, attempt retired", status: payment.StatusAuthorising,
			phone: want{step: payment.StepBankChoice}, computer: want{step: payment.StepBankChoice}},
		{name: "authorising by redirect", status: payment.StatusAuthorising, auth: attempt(payment.ApproachRedirect, "received"),
			phone: want{step: payment.StepAtBank}, computer: want{step: payment.StepAtBank}},
		{name: "authorising, approach not known yet", status: payment.StatusAuthorising, auth: attempt("", payment.SCAPending),
			phone: want{step: payment.StepAtBank}, computer: want{step: payment.StepAtBank}},
		{name: "authorising by one-time code", status: payment.StatusAuthorising, auth: attempt(payment.ApproachEmbedded, "received"),
			phone: want{step: payment.StepOTP}, computer: want{step: payment.StepOTP}},
		{name: "authorising by BankID, not started", status: payment.StatusAuthorising, auth: attempt(payment.ApproachDecoupled, "received"),
			phone: want{step: payment.StepBankID, message: "RFA1"}, computer: want{step: payment.StepBankID, message: "RFA1"}},
		{name: "authorising by BankID, QR shown", status: payment.StatusAuthorising, auth: attempt(payment.ApproachDecoupled, "started"), sca: qr,
			phone: want{step: payment.StepBankID, message: "RFA1QR"}, computer: want{step: payment.StepBankID, message: "RFA1QR"}},
		{name: "authorising by BankID, signing", status: payment.StatusAuthorising, auth: attempt(payment.ApproachDecoupled, "started"), hint: "userSign",
			phone: want{step: payment.StepBankID, message: "RFA9"}, computer: want{step: payment.StepBankID, message: "RFA9"}},
		{name: "authorising by BankID, lapsed", status: payment.StatusAuthorising, auth: attempt(payment.ApproachDecoupled, payment.SCAFailed),
			retryable: true, hint: "startFailed",
			phone: want{step: payment.StepBankID, retry: true, message: "RFA17A"}, computer: want{step: payment.StepBankID, retry: true, message: "RFA17B"}},
		{name: "processing", status: payment.StatusProcessing, auth: attempt(payment.ApproachRedirect, payment.SCAFinalised),
			phone: want{step: payment.StepProcessing}, computer: want{step: payment.StepProcessing}},
		{name: "completed", status: payment.StatusCompleted, auth: attempt(payment.ApproachDecoupled, payment.SCAFinalised),
			phone: want{step: payment.StepResult}, computer: want{step: payment.StepResult}},
		{name: "failed", status: payment.StatusFailed, auth: attempt(payment.ApproachDecoupled, payment.SCAFailed),
			phone: want{step: payment.StepResult}, computer: want{step: payment.StepResult}},
		{name: "cancelled", status: payment.StatusCancelled,
			phone: want{step: payment.StepResult}, computer: want{step: payment.StepResult}},
		{name: "expired", status: payment.StatusExpired, auth: consent(payment.ApproachDecoupled, "started"),
			phone: want{step: payment.StepResult}, computer: want{step: payment.StepResult}},
	} {
		for _, device := range []struct {
			name   string
			mobile bool
			want   want
		}{{"phone", true, tc.phone}, {"computer", false, tc.computer}} {
			t.Run(tc.name+"/"+device.name, func(t *testing.T) {
				pr := &Progress{Payment: &payment.Payment{Status: tc.status}, Auth: tc.auth, SCA: tc.sca, Retryable: tc.retryable, Hint: tc.hint}
				got := pr.Next(device.mobile)
				if got.Step != device.want.step || got.Retry != device.want.retry || got.Message != device.want.message {
					t.Fatalf("got %+v, want %+v", got, device.want)
				}
			})
		}
	}
}
