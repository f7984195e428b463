package httpsig

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// NewTestCertificate makes a self-signed QSealC-like certificate and key, for tests and the
// sandbox. Nothing generated here is ever committed.
func NewTestCertificate(org string) (*x509.Certificate, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	name := pkix.Name{CommonName: org + " QSealC (test)", Organization: []string{org}, Country: []string{"NO"}}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: name, Issuer: name, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// QualifiedCAName is a CA name shaped like a qualified trust service provider's, for tests: an
// organizationIdentifier (2.5.4.97, which pkix.Name.String() moves and re-encodes), a non-ASCII
// O, an escaped comma and a multi-valued RDN, each value with the string type a QTSP uses.
var QualifiedCAName = pkix.RDNSequence{
	{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: asn1.RawValue{Tag: asn1.TagPrintableString, Bytes: []byte("NO")}}},
	{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("Bankø AS")}}},
	{{Type: asn1.ObjectIdentifier{2, 5, 4, 97}, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("NTRNO-987654321")}}},
	{{Type: asn1.ObjectIdentifier{2, 5, 4, 7}, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("Ålesund, Møre")}}},
	{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("QSeal")}},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("Bankø Qualified CA 1")}},
	},
}

// NewTestCertificateIssuedBy makes a certificate and key for org issued by a test CA whose name
// is issuer, encoded exactly as given (for tests of keyId against real-world CA names).
func NewTestCertificateIssuedBy(org string, issuer pkix.RDNSequence) (*x509.Certificate, *rsa.PrivateKey, error) {
	rawIssuer, err := asn1.Marshal(issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("test certificate: issuer: %w", err)
	}
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: rawIssuer, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: org + " QSealC (test)", Organization: []string{org}, Country: []string{"NO"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}
