// Package httpsig signs and verifies requests with HTTP Signatures (draft-cavage-http-signatures-10)
// as the Berlin Group profiles them for NextGenPSD2 banks: rsa-sha256 over "date digest
// x-request-id" and, when present, "psu-id psu-corporate-id tpp-redirect-uri", keyId naming the
// certificate by serial number and issuer, the certificate itself in TPP-Signature-Certificate.
// Hand-written: the profile fixes the header order and keyId form that general libraries leave
// open, and the whole of it is one SHA-256, one RSA signature and a string join.
package httpsig

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// optional are signed when the request carries them, in this order after the fixed three.
var optional = []string{"psu-id", "psu-corporate-id", "tpp-redirect-uri"}

// Digest is the Digest header value of a body: "SHA-256=" and the base64 of its SHA-256.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// Headers lists the signed headers of a request, in the profile's order.
func Headers(h http.Header) []string {
	out := []string{"date", "digest", "x-request-id"}
	for _, name := range optional {
		if h.Get(name) != "" {
			out = append(out, name)
		}
	}
	return out
}

func signingString(h http.Header, names []string) string {
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = n + ": " + h.Get(n)
	}
	return strings.Join(lines, "\n")
}

// KeyID names a certificate as the profile asks: SN=<serial in hex>,CA=<issuer DN>, the DN as
// IssuerDN writes it. A certificate from x509.ParseCertificate always has an issuer it can
// write; for one without, the CA part is empty (and Sign refuses it).
func KeyID(cert *x509.Certificate) string {
	id, _ := keyID(cert)
	return id
}

func keyID(cert *x509.Certificate) (string, error) {
	dn, err := IssuerDN(cert)
	return fmt.Sprintf("SN=%X,CA=%s", cert.SerialNumber, dn), err
}

// EncodeWord wraps a header value that is not ASCII as ONE RFC 2047 encoded word,
// =?utf-8?B?<base64 of the whole value>?=, the format seed 004 gives for the Signature header
// ("=?charset?encoding?encoded signature?=", and its Java example encodes the whole value at
// once). mime.BEncoding.Encode is not used: it follows RFC 2047's 75-character limit and splits a
// value as long as a signature into many space-separated words, which the bank does not read.
// An ASCII value is returned as it is.
func EncodeWord(value string) string {
	if isASCII(value) {
		return value
	}
	return "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(value)) + "?="
}

// Sign adds Date (if missing), Digest, Signature and TPP-Signature-Certificate to a request whose
// body is body. X-Request-ID must already be set.
func Sign(req *http.Request, body []byte, key *rsa.PrivateKey, cert *x509.Certificate, now time.Time) error {
	if req.Header.Get("X-Request-ID") == "" {
		return errors.New("httpsig: X-Request-ID must be set before signing")
	}
	if req.Header.Get("Date") == "" {
		req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	}
	req.Header.Set("Digest", Digest(body))
	names := Headers(req.Header)
	id, err := keyID(cert)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(signingString(req.Header, names)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}
	value := fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`,
		id, strings.Join(names, " "), base64.StdEncoding.EncodeToString(sig))
	req.Header.Set("Signature", EncodeWord(value)) // an issuer DN such as "O=Sparebanken Møre" is not ASCII
	req.Header.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(cert.Raw))
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Params are the parts of a Signature header.
type Params struct {
	KeyID, Algorithm, Signature string
	Headers                     []string
}

// Parse reads a Signature header, decoding RFC 2047 first if needed.
func Parse(value string) (Params, error) {
	if strings.HasPrefix(value, "=?") {
		dec := new(mime.WordDecoder)
		v, err := dec.DecodeHeader(value)
		if err != nil {
			return Params{}, fmt.Errorf("httpsig: RFC 2047: %w", err)
		}
		value = v
	}
	var p Params
	for _, part := range splitParams(value) {
		k, v, ok := strings.Cut(part, "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return Params{}, fmt.Errorf("httpsig: malformed parameter %q", part)
		}
		v = v[1 : len(v)-1]
		switch strings.TrimSpace(k) {
		case "keyId":
			p.KeyID = v
		case "algorithm":
			p.Algorithm = v
		case "headers":
			p.Headers = strings.Fields(v)
		case "signature":
			p.Signature = v
		}
	}
	if p.KeyID == "" || p.Signature == "" || len(p.Headers) == 0 {
		return Params{}, errors.New("httpsig: keyId, headers and signature are required")
	}
	return p, nil
}

// splitParams splits on commas outside quotes (an issuer DN has commas inside keyId).
func splitParams(s string) []string {
	var out []string
	in, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			in = !in
		case ',':
			if !in {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Verify checks a signed request as a bank does: the certificate in TPP-Signature-Certificate
// matches keyId, the header list is exactly the profile's for this request and in order, Date is
// within maxSkew of now, Digest matches the body, and the RSA signature is valid. It returns the
// certificate. The body is read and put back.
func Verify(req *http.Request, now time.Time, maxSkew time.Duration) (*x509.Certificate, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	raw, err := base64.StdEncoding.DecodeString(req.Header.Get("TPP-Signature-Certificate"))
	if err != nil || len(raw) == 0 {
		return nil, errors.New("TPP-Signature-Certificate missing or not base64")
	}
	cert, err := x509.ParseCertificate(raw)
	if err != nil {
		return nil, fmt.Errorf("TPP-Signature-Certificate: %w", err)
	}
	p, err := Parse(req.Header.Get("Signature"))
	if err != nil {
		return nil, err
	}
	if p.Algorithm != "rsa-sha256" {
		return nil, fmt.Errorf("algorithm %q, want rsa-sha256", p.Algorithm)
	}
	if p.KeyID != KeyID(cert) {
		return nil, fmt.Errorf("keyId %q does not name the certificate sent", p.KeyID)
	}
	if want := Headers(req.Header); strings.Join(p.Headers, " ") != strings.Join(want, " ") {
		return nil, fmt.Errorf("signed headers %q, want %q in that order", strings.Join(p.Headers, " "), strings.Join(want, " "))
	}
	date, err := http.ParseTime(req.Header.Get("Date"))
	if err != nil {
		//lint:ignore ST1005 the message opens with the header's name, which is capitalised
		return nil, errors.New("Date missing or malformed")
	}
	if d := now.Sub(date); d > maxSkew || d < -maxSkew {
		//lint:ignore ST1005 the message opens with the header's name, which is capitalised
		return nil, fmt.Errorf("Date is %s off", d.Round(time.Second))
	}
	if req.Header.Get("Digest") != Digest(body) {
		return nil, errors.New("Digest does not match the body")
	}
	sig, err := base64.StdEncoding.DecodeString(p.Signature)
	if err != nil {
		return nil, errors.New("signature is not base64")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("certificate key is not RSA")
	}
	sum := sha256.Sum256([]byte(signingString(req.Header, p.Headers)))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return nil, errors.New("signature does not verify")
	}
	return cert, nil
}
