package bankid

import "testing"

func TestQRPayloadVectors(t *testing.T) {
	const token, secret = "67df3917-fa0d-44e5-b327-edcc928297f8", "d28db9a7-4cde-429e-a983-359be676944c"
	want := []string{
		"dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8",
		"949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2",
		"a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3",
	}
	for i, code := range want {
		got := QRPayload(token, secret, int64(i))
		if exp := "bankid." + token + "." + string(rune('0'+i)) + "." + code; got != exp {
			t.Errorf("t=%d: %s, want %s", i, got, exp)
		}
		p, err := ParseQR(got)
		if err != nil || p.Token != token || p.Time != int64(i) || p.Code != code {
			t.Errorf("ParseQR(%s) = %+v, %v", got, p, err)
		}
	}
}

func TestParseQRRejects(t *testing.T) {
	for _, s := range []string{"", "bankid", "bankid..0.aa", "bankid.t.-1." + string(make([]byte, 64)), "qr.t.0.00",
		"bankid.t.x.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8",
		"bankid.t.0.zz69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"} {
		if _, err := ParseQR(s); err == nil {
			t.Errorf("ParseQR(%q) accepted", s)
		}
	}
}

func TestAutostartURLs(t *testing.T) {
	if got := MobileAutostartURL(DefaultAppURL, "tok", "https://pay.example/checkout/x?a=1"); got != "https://app.bankid.com/?autostarttoken=tok&redirect=https%3A%2F%2Fpay.example%2Fcheckout%2Fx%3Fa%3D1" {
		t.Error(got)
	}
	if got := DesktopAutostartURL("tok"); got != "bankid:///?autostarttoken=tok&redirect=null" {
		t.Error(got)
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		name                         string
		status, hint                 string
		qr, mobile, launched, failed bool
		want                         string
	}{
		{"qr shown", "authenticationStarted", "", true, false, false, false, "RFA1QR"},
		{"phone before launch", "authenticationStarted", "", false, true, false, false, "RFA1"},
		{"phone launched", "authenticationStarted", "", false, true, true, false, "RFA13"},
		{"signing", "started", "userSign", false, false, false, false, "RFA9"},
		{"app searching desktop", "started", "started", false, false, false, false, "RFA15A"},
		{"app searching phone", "started", "started", false, true, false, false, "RFA15B"},
		{"in progress", "psuAuthenticated", "", false, false, false, false, "RFA21"},
		{"qr timed out", "failed", "startFailed", false, false, false, true, "RFA17B"},
		{"app not found", "failed", "startFailed", false, true, true, true, "RFA17A"},
		{"user cancel", "failed", "userCancel", false, false, false, true, "RFA6"},
		{"cancelled", "failed", "cancelled", false, false, false, true, "RFA3"},
		{"expired", "failed", "expiredTransaction", false, false, false, true, "RFA8"},
		{"certificate", "failed", "certificateErr", false, false, false, true, "RFA16"},
		{"other", "failed", "", false, false, false, true, "RFA22"},
	}
	for _, tt := range tests {
		if got := Message(tt.status, tt.hint, tt.qr, tt.mobile, tt.launched, tt.failed); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
