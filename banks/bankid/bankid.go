// Package bankid holds what paybybank knows of Swedish BankID: the animated QR payload, the
// autostart URLs and the recommended user messages (RFA codes). It is hand-written: it is a
// few lines of HMAC and string building, specific to BankID, with no library for it in Go.
package bankid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// QRPayload computes the animated QR payload bankid.{token}.{time}.{code} for second t of an order.
func QRPayload(qrStartToken, qrStartSecret string, t int64) string {
	return "bankid." + qrStartToken + "." + strconv.FormatInt(t, 10) + "." + QRAuthCode(qrStartSecret, t)
}

// QRAuthCode is the lowercase hex HMAC-SHA256 of the decimal time, keyed with the secret.
func QRAuthCode(qrStartSecret string, t int64) string {
	mac := hmac.New(sha256.New, []byte(qrStartSecret))
	mac.Write([]byte(strconv.FormatInt(t, 10)))
	return hex.EncodeToString(mac.Sum(nil))
}

// StartWindow is how long an order waits to be scanned or started before it fails with
// startFailed ("about 30 s", protocols/bankid.md); the QR's time counts the seconds of it.
const StartWindow = 30

// ScanLeft is how many seconds of StartWindow the order of an animated QR payload has left, and
// whether payload is one (a legacy static code has no clock).
func ScanLeft(payload string) (int64, bool) {
	q, err := ParseQR(payload)
	if err != nil {
		return 0, false
	}
	return max(StartWindow-q.Time, 0), true
}

// ParsedQR is an animated QR payload split into its parts.
type ParsedQR struct {
	Token string
	Time  int64
	Code  string
}

// ParseQR splits a scanned payload; it refuses anything not of the form bankid.token.time.code.
func ParseQR(s string) (ParsedQR, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 4 || parts[0] != "bankid" || parts[1] == "" || len(parts[3]) != 64 {
		return ParsedQR{}, fmt.Errorf("not a BankID QR code")
	}
	t, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || t < 0 {
		return ParsedQR{}, fmt.Errorf("not a BankID QR code: bad time")
	}
	if _, err := hex.DecodeString(parts[3]); err != nil {
		return ParsedQR{}, fmt.Errorf("not a BankID QR code: bad code")
	}
	return ParsedQR{Token: parts[1], Time: t, Code: parts[3]}, nil
}

// DefaultAppURL is BankID's universal link that opens the app on a phone.
const DefaultAppURL = "https://app.bankid.com/"

// MobileAutostartURL opens the BankID app on a phone; redirect is where the app sends the shopper back.
// appURL is DefaultAppURL in production and the simulated app in the sandbox.
func MobileAutostartURL(appURL, token, redirect string) string {
	return appURL + "?autostarttoken=" + url.QueryEscape(token) + "&redirect=" + url.QueryEscape(redirect)
}

// DesktopAutostartURL opens BankID on this computer; the desktop app takes no redirect.
func DesktopAutostartURL(token string) string {
	return "bankid:///?autostarttoken=" + url.QueryEscape(token) + "&redirect=null"
}

// LegacyQR is the static QR link of the seed, for banks that send a bare autostart token to scan.
func LegacyQR(token string) string { return "bankid:///?autostarttoken=" + token }
