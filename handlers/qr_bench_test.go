package handlers

import (
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"paybybank/banks/bankid"
)

var payload = bankid.QRPayload("67df3917-fa0d-44e5-b327-edcc928297f8", "d28db9a7-4cde-429e-a983-359be676944c", 42)

func BenchmarkQRGoQrcodeEncode(b *testing.B) {
	for b.Loop() {
		qrcode.Encode(payload, qrcode.Medium, -4)
	}
}

func BenchmarkQRSymbolOnly(b *testing.B) {
	for b.Loop() {
		q, _ := qrcode.New(payload, qrcode.Medium)
		q.Bitmap()
	}
}

func BenchmarkQROurs(b *testing.B) {
	for b.Loop() {
		QRPNG(payload)
	}
}
