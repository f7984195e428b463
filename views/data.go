// Package views renders the shopper's pages with templ. Handlers fill the plain data types
// below; the components never reach for anything else.
package views

import (
	"context"
	"strings"

	"github.com/a-h/templ"

	"paybybank/i18n"
)

// Page is what every page's layout needs.
type Page struct {
	L            *i18n.Localizer
	Title        string
	MerchantName string
	// Refresh reloads the page after this many seconds when JavaScript is off (0: never).
	Refresh int
	// StatusURL turns on live.js, which polls it every second.
	StatusURL string
	ExpiresAt string // RFC 3339, for the countdown
	// ExpiresIn is the seconds left to pay when the page was drawn (live.js counts down from it,
	// whatever the shopper's clock says), and TimeLeft the same as read ("14:32"); the page
	// reloads itself when they run out. 0 and "": the payment does not wait for the shopper.
	ExpiresIn int
	TimeLeft  string
	Path      string      // this page's path, for the language switcher
	Keep      [][2]string // query parameters the switcher keeps (name, value)
	Sandbox   bool
	// ThemeURL is the merchant's accent stylesheet; LogoURL its logo. Empty when unbranded.
	ThemeURL string
	LogoURL  string
	// Wide pages (the merchant's table) get more room than the checkout.
	Wide bool
	// Search turns on filtering the bank list as the shopper types.
	Search bool
	// Notice is what the shopper's last action (a POST) met, shown once above the page.
	Notice string
	// GoTo, when set, sends the browser there after GoAfter seconds by a meta refresh, which
	// works without JavaScript (the result page's return to the shop).
	GoTo    string
	GoAfter int
}

// Order is the payment as the shopper reads it.
type Order struct {
	Merchant   string
	Amount     string
	Reference  string
	Expires    string // when the payment expires, in the shopper's zone
	ExpiresISO string // the same in RFC 3339, for live.js to write in the browser's zone
	Zone       string // the zone Expires is written in
	// Refund, for a refund order, is what the merchant's person authorises at their bank.
	Refund *RefundOrder
}

// BankItem is one bank button in the picker.
type BankItem struct {
	BIC, Name, Initials string
	Available           bool
	Note                string
}

// BankGroup is the banks of one country.
type BankGroup struct {
	Country, Label string
	Banks          []BankItem
}

// Picker is the bank picker page.
type Picker struct {
	Page
	Order
	// Banks is the list drawn by BankList: the handlers draw each distinct list once and reuse it.
	Banks  templ.Component
	Query  string
	Action string
	CSRF   string
	Error  string
	// LeaveURL cancels the payment and returns the shopper to the shop (empty: the merchant gave
	// no way back).
	LeaveURL string
	// TryAgain, when set, says why the last attempt at a bank ended and offers it again.
	TryAgain *TryAgain
}

// TryAgain is the bank choice's word on the attempt that just ended without success.
type TryAgain struct {
	Heading string // "Your payment at <bank> did not go through"
	Reason  string // why, in the shopper's language
	Bank    string
	// Action is where "Try again" posts; AccountURL, when set instead, asks for the account anew.
	Action     string
	AccountURL string
}

// Banks is what the picker lists: the bank used last, then the banks by country, and apart the
// banks that cannot take this payment, each with why.
type Banks struct {
	L      *i18n.Localizer
	Last   *BankItem
	Groups []BankGroup
	Other  []BankItem
}

// BankID is the decoupled SCA page.
type BankID struct {
	Page
	Order
	QRURL     string // empty when no QR is to be shown
	Message   string
	Mobile    bool
	LaunchURL string // POST target that records the launch and sends the phone to the app
	// OtherDeviceURL is the POST target that turns an order started for the app on this device
	// into one shown as a QR code, for BankID on another device.
	OtherDeviceURL string
	// ScanWithin is the BankID order's own time to be scanned, as read ("27"); empty without a QR.
	ScanWithin  string
	Retry       bool
	RetryAction string
	CancelURL   string
	// ChangeBankURL is the POST target of "Choose another bank"; empty for a consent.
	ChangeBankURL string
	CSRF          string
	ErrorText     string
}

// Result is the outcome page.
type Result struct {
	Page
	Order
	Status  string
	Heading string
	Text    string
	Reason  string
	BackURL string
	// BackLabel names where BackURL goes when it is not the shop ("Back to refunds").
	BackLabel string
	// The receipt beside the order: the bank paid from (empty before one was chosen), when the
	// payment reached this state, and its id, which the merchant's support can look up.
	Bank      string
	When      string
	PaymentID string
	// AutoReturn is how many seconds before the page goes back to the shop by itself (0: never).
	AutoReturn int
}

// RedirectWait is shown when a shopper returns to the checkout while their bank's page is open.
type RedirectWait struct {
	Page
	Order
	ContinueURL string
	CancelURL   string
	// ChangeBankURL is the POST target of "Choose another bank"; empty for a consent.
	ChangeBankURL string
	CSRF          string
}

// Error is the friendly error page.
type Error struct {
	Page
	Message  string
	RetryURL string
}

// before and after are a text's parts on either side of a placeholder, so a page can draw
// something of its own in its place (the result page's countdown).
func before(text, mark string) string { b, _, _ := strings.Cut(text, mark); return b }
func after(text, mark string) string  { _, a, _ := strings.Cut(text, mark); return a }

// fmtT fills the one %s of a catalogue text.
func fmtT(text, arg string) string { return strings.Replace(text, "%s", arg, 1) }

// drawLangOptions draws langOptions for every language once; a language the switcher does not
// know (never expected: the localizer picks from the same list) shows none selected.
func drawLangOptions() map[string]string {
	out := map[string]string{}
	for _, code := range append([]string{""}, func() (c []string) {
		for _, l := range languages {
			c = append(c, l.Code)
		}
		return c
	}()...) {
		var b strings.Builder
		if err := langOptions(code).Render(context.Background(), &b); err != nil {
			panic(err) // drawing static markup into memory cannot fail
		}
		out[code] = b.String()
	}
	return out
}

// langOptionsFor returns the drawn options with lang selected.
func langOptionsFor(lang string) string {
	if html, ok := langOptionsHTML[lang]; ok {
		return html
	}
	return langOptionsHTML[""]
}
