package sbmtest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"strings"
	"time"
)

// The verifier is the fake's own reading of the documents, deliberately not banks/httpsig (which
// the connector signs with): a fake that verified with the connector's code would agree with it
// by construction.

// sigError is a request the bank refuses for its signature or certificate.
type sigError struct {
	code, msg string
}

func (e *sigError) Error() string { return e.msg }

func badSignature(format string, a ...any) error {
	return &sigError{"SIGNATURE_INVALID", fmt.Sprintf(format, a...)}
}

func badCertificate(format string, a ...any) error {
	return &sigError{"CERTIFICATE_INVALID", fmt.Sprintf(format, a...)}
}

// signedOptional are signed "when available" (seed 004, Signature header: "headers must contain
// date, digest, x-request-id, psu-id, psu-corporate-id, and tpp-redirect-uri when available").
var signedOptional = []string{"psu-id", "psu-corporate-id", "tpp-redirect-uri"}

// emptyDigest is the Digest of an empty body, which the platform also wants (protocols/
// berlin-group-banks.md, Sparebanken Møre: "Digest: SHA-256=<base64> always").
const emptyDigest = "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

// signatureParams are the parts of a Signature header.
type signatureParams struct {
	keyID, algorithm, signature string
	headers                     []string
}

// decodeSignatureHeader undoes the RFC 2047 wrapping. Seed 004 (Signature header): a value with
// ISO-8859-1 or UTF-8 characters must be sent "wrapped using this format:
// =?charset?encoding?encoded signature?=", the whole value as ONE encoded word (the example
// and the Java code make one word of it, however long). Several space-separated words, as a
// generic MIME encoder writes past 75 characters, are not that format; raw non-ASCII bytes are
// not allowed in the header at all.
func decodeSignatureHeader(v string) (string, error) {
	if strings.HasPrefix(v, "=?") {
		if strings.ContainsAny(v, " \t") {
			return "", badSignature("Signature must be one RFC 2047 encoded word =?charset?B?…?=, not several")
		}
		dec, err := new(mime.WordDecoder).Decode(v) // exactly one encoded word, or an error
		if err != nil {
			return "", badSignature("Signature is not one RFC 2047 encoded word: %v", err)
		}
		return dec, nil
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 || v[i] < 0x20 {
			return "", badSignature("a Signature with non-ASCII characters must be RFC 2047 encoded (=?utf-8?B?…?=)")
		}
	}
	return v, nil
}

// parseSignature reads keyId, algorithm, headers and signature (draft-cavage-http-signatures-10
// §2.1: comma-separated name="value" pairs). Commas inside quotes belong to the value: the
// keyId's CA part is a DN full of them.
func parseSignature(v string) (signatureParams, error) {
	var p signatureParams
	seen := map[string]bool{}
	for len(v) > 0 {
		name, rest, ok := strings.Cut(v, "=")
		if !ok || len(rest) == 0 || rest[0] != '"' {
			return p, badSignature("malformed Signature parameter near %q", v)
		}
		name = strings.TrimSpace(name)
		var val strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				val.WriteByte(rest[i])
				i++
			}
			val.WriteByte(rest[i])
		}
		if i == len(rest) {
			return p, badSignature("unterminated quoted value for %q", name)
		}
		if seen[name] {
			return p, badSignature("Signature parameter %q given twice", name)
		}
		seen[name] = true
		switch name {
		case "keyId":
			p.keyID = val.String()
		case "algorithm":
			p.algorithm = val.String()
		case "headers":
			p.headers = strings.Split(val.String(), " ")
		case "signature":
			p.signature = val.String()
		}
		v = strings.TrimLeft(rest[i+1:], " ")
		if v != "" {
			if v[0] != ',' {
				return p, badSignature("Signature parameters must be separated by commas")
			}
			v = strings.TrimLeft(v[1:], " ")
		}
	}
	if p.keyID == "" || p.algorithm == "" || p.signature == "" || len(p.headers) == 0 {
		return p, badSignature("Signature needs keyId, algorithm, headers and signature")
	}
	return p, nil
}

// wantHeaders is the headers list the profile asks for this request: the three fixed ones, then
// those of the optional ones the request carries, in the order protocols/berlin-group-banks.md
// (Sparebanken Møre) fixes ("in exactly that order").
func wantHeaders(h http.Header) []string {
	out := []string{"date", "digest", "x-request-id"}
	for _, n := range signedOptional {
		if h.Get(n) != "" {
			out = append(out, n)
		}
	}
	return out
}

// verifySignature checks a request's HTTP Signature as the platform documents it and returns the
// signing certificate. The body is read and put back.
func verifySignature(r *http.Request, now time.Time) (*x509.Certificate, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, badSignature("cannot read body")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	// Seed 004, TPP-Signature-Certificate: "The certificate used for signing the request in base64 encoding."
	raw, err := base64.StdEncoding.DecodeString(r.Header.Get("TPP-Signature-Certificate"))
	if err != nil || len(raw) == 0 {
		return nil, badCertificate("TPP-Signature-Certificate missing or not base64")
	}
	cert, err := x509.ParseCertificate(raw)
	if err != nil {
		return nil, badCertificate("TPP-Signature-Certificate is not a certificate: %v", err)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, badCertificate("the signing certificate is not valid now")
	}

	header := r.Header.Get("Signature")
	if header == "" {
		return nil, badSignature("Signature header missing")
	}
	value, err := decodeSignatureHeader(header)
	if err != nil {
		return nil, err
	}
	p, err := parseSignature(value)
	if err != nil {
		return nil, err
	}

	// Seed 004: keyId="SN=XXX,CA=YYY", XXX the serial in hexadecimal, YYY the full DN of the CA.
	sn, ca, ok := strings.Cut(p.keyID, ",CA=")
	if !ok || !strings.HasPrefix(sn, "SN=") {
		return nil, badSignature("keyId %q is not SN=<serial hex>,CA=<issuer DN>", p.keyID)
	}
	serial, ok := new(big.Int).SetString(sn[len("SN="):], 16)
	if !ok || serial.Cmp(cert.SerialNumber) != 0 {
		return nil, badSignature("keyId serial %q is not the certificate's serial %X in hex", sn[len("SN="):], cert.SerialNumber)
	}
	issuer, err := IssuerDN(cert)
	if err != nil {
		return nil, badCertificate("certificate issuer: %v", err)
	}
	if ca != issuer {
		return nil, badSignature("keyId CA %q is not the certificate's issuer DN %q", ca, issuer)
	}

	// Seed 004: algorithm "must identify the same algorithm ... as presented in the signing
	// certificate and should be rsa-sha256"; the platform's only documented one.
	pub, isRSA := cert.PublicKey.(*rsa.PublicKey)
	if p.algorithm != "rsa-sha256" || !isRSA {
		return nil, badSignature("algorithm %q with a %T key; want rsa-sha256 with an RSA certificate", p.algorithm, cert.PublicKey)
	}

	// Seed 004: headers lists date, digest, x-request-id and the optional three when available;
	// protocols/berlin-group-banks.md: in exactly that order, nothing else.
	if got, want := strings.Join(p.headers, " "), strings.Join(wantHeaders(r.Header), " "); got != want {
		return nil, badSignature("headers=%q, want %q in that order", got, want)
	}

	// A signed Date is required (it is in the headers list). The documents give no window; the
	// fake allows five minutes either way, a choice of its own, so clients must send the current time.
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return nil, badSignature("Date missing or not an HTTP-date")
	}
	if d := now.Sub(date); d > 5*time.Minute || d < -5*time.Minute {
		return nil, badSignature("Date is %s off", d.Round(time.Second))
	}

	// protocols/berlin-group-banks.md: Digest SHA-256=<base64 of SHA-256(body)>, also for an empty body.
	sum := sha256.Sum256(body)
	if want := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:]); r.Header.Get("Digest") != want {
		return nil, badSignature("Digest %q does not match the body (want %q)", r.Header.Get("Digest"), want)
	}

	// Seed 004: signature = Base64(RSA-SHA256(signingString)), the signing string being the listed
	// headers as lower-case "name: value" lines joined by "\n" (draft-cavage §2.3).
	sig, err := base64.StdEncoding.DecodeString(p.signature)
	if err != nil {
		return nil, badSignature("signature is not base64")
	}
	lines := make([]string, len(p.headers))
	for i, n := range p.headers {
		lines[i] = n + ": " + r.Header.Get(n)
	}
	hashed := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, hashed[:], sig); err != nil {
		return nil, badSignature("signature does not verify")
	}
	return cert, nil
}
