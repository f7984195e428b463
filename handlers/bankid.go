package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"paybybank/banks/bankid"
	"paybybank/checkout"
	"paybybank/payment"
	"paybybank/views"
)

// The BankID page offers both ways to start the app, as BankID's own sample does: the QR code
// for the app on another device, and opening the app on this device (bankid:/// on a computer,
// the app link on a phone). Whichever way the order goes, the page offers the other.

func (s *Server) bankIDView(dr *drawing) views.BankID {
	pr, pg := dr.pr, dr.pg
	d := views.BankID{Page: pg, Order: dr.order, Mobile: dr.mobile, CSRF: dr.csrf, CancelURL: pg.Path + "/cancel", RetryAction: pg.Path + "/retry"}
	d.Order.Expires = "" // the page counts the time left down instead
	d.Refresh = 1
	d.StatusURL = pg.Path + "/status?page=" + liveBankID
	qr := pr.SCA != nil && (pr.SCA.QRData != "" || len(pr.SCA.QRImage) > 0)
	if qr {
		d.QRURL = qrURL(pg.Path, pr.SCA)
		d.ScanWithin = scanWithin(pr.SCA.QRData)
	}
	// The order's autostart token: the bank's latest word, else what the attempt keeps (a tab
	// reopened after the app was opened once still opens it again).
	token := pr.Auth.AutostartToken
	if pr.SCA != nil && pr.SCA.AutostartToken != "" {
		token = pr.SCA.AutostartToken
	}
	consent := checkout.IsConsent(pr.Auth)
	if !consent {
		d.ChangeBankURL = pg.Path + "/change-bank" // an account reading cannot be given up for another bank
	}
	if !dr.next.Retry {
		if token != "" || (qr && !consent) {
			d.LaunchURL = pg.Path + "/bankid/launch" // with a QR order, launching starts one for this device
		}
		if token != "" && !qr && !consent && !checkout.AppHasOrder(pr.Hint) {
			d.OtherDeviceURL = pg.Path + "/bankid/qr"
		}
	}
	if dr.next.Retry {
		d.Retry, d.Refresh, d.StatusURL = true, 0, ""
	}
	d.Message = pg.L.T("bankid." + dr.next.Message)
	return d
}

// scanWithin is the seconds an animated QR code's order has left to be scanned, as read, or ""
// for a code without a clock.
func scanWithin(payload string) string {
	if left, ok := bankid.ScanLeft(payload); ok {
		return strconv.FormatInt(left, 10)
	}
	return ""
}

// bankIDOtherDevice turns the payment's BankID order into one shown as a QR code, for the app on
// another device ("Use BankID on another device").
func (s *Server) bankIDOtherDevice(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 45*time.Second)
	defer cancel()
	if _, err := s.checkout.SwitchSCA(ctx, p, s.psuOf(r), false); err != nil && !errors.Is(err, payment.ErrConflict) && !errors.Is(err, payment.ErrNotFound) {
		return err
	}
	http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
	return nil
}
