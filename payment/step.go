package payment

// Step is what a payment waits for now: what the shopper's page shows, and what the checkout
// asks the bank about. The checkout works it out in one place (checkout.StepOf).
type Step string

// The steps of a payment, in the order a shopper usually meets them.
const (
	// StepBankChoice: the shopper picks their bank.
	StepBankChoice Step = "bank_choice"
	// StepAccount: the shopper's own account is asked for, after their bank read (or failed to
	// read) the list of their accounts.
	StepAccount Step = "account"
	// StepBankID: decoupled SCA; the shopper approves in the BankID app, by QR code or on this device.
	StepBankID Step = "bankid"
	// StepAtBank: redirect SCA; the shopper is at their bank's own pages, or on the way there.
	StepAtBank Step = "at_bank"
	// StepOTP: embedded SCA; the shopper types the bank's one-time code on our page.
	StepOTP Step = "otp"
	// StepProcessing: approved; the bank is carrying the payment out.
	StepProcessing Step = "processing"
	// StepResult: the payment has ended.
	StepResult Step = "result"
)
