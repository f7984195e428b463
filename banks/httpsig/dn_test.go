package httpsig_test

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/banks/httpsig"
	"paybybank/banks/sbm/sbmtest"
)

func attr(oid asn1.ObjectIdentifier, tag int, b []byte) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: asn1.RawValue{Tag: tag, Bytes: b}}
}

var (
	oidCN     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidO      = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidC      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidSerial = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidDC     = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
)

// TestIssuerDN checks the keyId's CA part against a hand-written RFC 4514 string and against the
// fake's independent encoder (sbmtest.IssuerDN), for CA names where pkix.Name.String() goes wrong.
func TestIssuerDN(t *testing.T) {
	tests := []struct {
		name   string
		issuer pkix.RDNSequence
		want   string
		pkixOK bool // pkix.Name.String() happens to agree
	}{
		// Last RDN first; OU+CN as DER sorted the SET; organizationIdentifier as its OID and the hex of
		// its UTF8String (0c, 15 bytes); the comma in L escaped; ø and Å kept as UTF-8.
		{"qualified CA", httpsig.QualifiedCAName,
			`OU=QSeal+CN=Bankø Qualified CA 1,L=Ålesund\, Møre,2.5.4.97=#0c0f4e54524e4f2d393837363534333231,O=Bankø AS,C=NO`, false},
		{"plain", pkix.RDNSequence{{attr(oidC, asn1.TagPrintableString, []byte("NO"))}, {attr(oidO, asn1.TagPrintableString, []byte("Test CA"))},
			{attr(oidCN, asn1.TagPrintableString, []byte("Test CA 1"))}}, "CN=Test CA 1,O=Test CA,C=NO", true},
		// serialNumber has no RFC 4514 short name (pkix writes SERIALNUMBER=).
		{"serialNumber", pkix.RDNSequence{{attr(oidCN, asn1.TagUTF8String, []byte("CA"))}, {attr(oidSerial, asn1.TagPrintableString, []byte("42"))}},
			"2.5.4.5=#13023432,CN=CA", false},
		{"escapes", pkix.RDNSequence{{attr(oidCN, asn1.TagUTF8String, []byte(` #a+b<c>;"\ `))}}, `CN=\ #a\+b\<c\>\;\"\\\ `, true},
		{"BMPString and DC", pkix.RDNSequence{{attr(oidDC, asn1.TagIA5String, []byte("no"))}, {attr(oidO, asn1.TagBMPString, []byte{0, 'M', 0, 0xf8})}},
			"O=Mø,DC=no", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, _, err := httpsig.NewTestCertificateIssuedBy("Shop AS", tt.issuer)
			if err != nil {
				t.Fatal(err)
			}
			got, err := httpsig.IssuerDN(cert)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("IssuerDN = %q, want %q", got, tt.want)
			}
			if fake, err := sbmtest.IssuerDN(cert); err != nil || fake != got {
				t.Errorf("the fake's encoder says %q (%v), ours %q", fake, err, got)
			}
			if (cert.Issuer.String() == tt.want) != tt.pkixOK {
				t.Errorf("pkix.Name.String() = %q: the case does not test what it says", cert.Issuer.String())
			}
			if id := httpsig.KeyID(cert); id != fmt.Sprintf("SN=%X,CA=%s", cert.SerialNumber, tt.want) {
				t.Errorf("KeyID = %q", id)
			}
		})
	}
}

// oneWord is seed 004's format for a non-ASCII Signature: one encoded word, however long.
var oneWord = regexp.MustCompile(`^=\?utf-8\?B\?([A-Za-z0-9+/]+=*)\?=$`)

func TestNonASCIISignatureIsOneEncodedWord(t *testing.T) {
	cert, key, err := httpsig.NewTestCertificateIssuedBy("Shop AS", httpsig.QualifiedCAName)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "https://bank.example/v1/payments/sepa-credit-transfers", strings.NewReader("{}"))
	req.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
	now := time.Now()
	if err := httpsig.Sign(req, []byte("{}"), key, cert, now); err != nil {
		t.Fatal(err)
	}
	v := req.Header.Get("Signature")
	m := oneWord.FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("Signature is not one =?utf-8?B?…?= word: %s", v)
	}
	whole, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if want := `keyId="SN=` + fmt.Sprintf("%X", cert.SerialNumber) + `,CA=OU=QSeal+CN=Bankø Qualified CA 1,`; !strings.HasPrefix(string(whole), want) ||
		!strings.Contains(string(whole), `,signature="`) {
		t.Fatalf("encoded word holds %q, want the whole value starting %q", whole, want)
	}
	if _, err := httpsig.Verify(req, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := httpsig.EncodeWord("ascii only"); got != "ascii only" {
		t.Errorf("an ASCII value was encoded: %q", got)
	}
}
