package payment

// The reason codes of an attempt's end and of a payment's failure: stable snake_case words that
// merchants may branch on and shopper pages translate (i18n key "reason.<code>").
const (
	ReasonDeniedAtBank        = "denied_at_bank"
	ReasonCancelledAtBank     = "cancelled_at_bank"
	ReasonBankIDCancelled     = "bankid_cancelled"
	ReasonBankIDExpired       = "bankid_expired"
	ReasonBankIDFailed        = "bankid_failed"
	ReasonBankRefusedStart    = "bank_refused_start"
	ReasonDebtorAccountFormat = "debtor_account_format"
	ReasonRejectedByBank      = "rejected_by_bank"
	ReasonAuthorisationFailed = "authorisation_failed"
	ReasonBankNoAnswer        = "bank_no_answer"
	ReasonSwitchedBank        = "switched_bank"
	ReasonCancelledByShopper  = "cancelled_by_shopper"
	ReasonCancelledByMerchant = "cancelled_by_merchant"
	ReasonExpired             = "expired"
)

// Reasons holds every reason code with its message in English, as the API's failure_reason and
// an attempt's reason_message give it.
var Reasons = map[string]string{
	ReasonDeniedAtBank:        "denied at the bank",
	ReasonCancelledAtBank:     "cancelled at the bank",
	ReasonBankIDCancelled:     "cancelled in the BankID app",
	ReasonBankIDExpired:       "the BankID order was not started in time",
	ReasonBankIDFailed:        "BankID could not sign the payment",
	ReasonBankRefusedStart:    "the bank refused to start the payment",
	ReasonDebtorAccountFormat: "the bank does not take the payer's account in the form given",
	ReasonRejectedByBank:      "rejected by the bank",
	ReasonAuthorisationFailed: "the bank could not complete the authorisation",
	ReasonBankNoAnswer:        "the bank did not answer",
	ReasonSwitchedBank:        "the shopper chose another bank",
	ReasonCancelledByShopper:  "cancelled by the shopper",
	ReasonCancelledByMerchant: "cancelled by the merchant",
	ReasonExpired:             "expired before it was authorised",
}

// ReasonMessage is a reason code's message in English, or "" for no code.
func ReasonMessage(code string) string { return Reasons[code] }
