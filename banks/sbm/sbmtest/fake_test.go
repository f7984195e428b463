package sbmtest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The test signs with its own code, written from seed 004 and the protocol notes, never with
// banks/httpsig or the connector.

// utf8Value and printable force an attribute's ASN.1 string type, as a QTSP's CA would encode it.
func utf8Value(s string) asn1.RawValue {
	return asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(s)}
}
func printable(s string) asn1.RawValue {
	return asn1.RawValue{Tag: asn1.TagPrintableString, Bytes: []byte(s)}
}

var (
	oidC        = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidO        = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU       = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCN       = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidL        = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidSerial   = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidOrgIdent = asn1.ObjectIdentifier{2, 5, 4, 97}
)

// qtspIssuer is a CA name shaped like a qualified trust service provider's: organizationIdentifier,
// a non-ASCII O, an escaped comma, and a multi-valued last RDN (OU+CN; DER sorts the SET, and
// the shorter OU element comes first).
var qtspIssuer = pkix.RDNSequence{
	{{Type: oidC, Value: printable("NO")}},
	{{Type: oidO, Value: utf8Value("Bankø AS")}},
	{{Type: oidL, Value: utf8Value("Volda, Møre")}},
	{{Type: oidOrgIdent, Value: utf8Value("NTRNO-123456789")}},
	{{Type: oidOU, Value: utf8Value("PSD2")}, {Type: oidCN, Value: utf8Value("Bankø QSeal CA")}},
}

// qtspIssuerDN is qtspIssuer written out by hand from RFC 4514: last RDN first, OID and #hex of
// the UTF8String (0c, length 0f) for organizationIdentifier.
const qtspIssuerDN = `OU=PSD2+CN=Bankø QSeal CA,2.5.4.97=#0c0f4e54524e4f2d313233343536373839,L=Volda\, Møre,O=Bankø AS,C=NO`

// qtspIssuerInCertOrder is the same DN in the certificate's sequence order, which RFC 4514 §2.1 reverses.
const qtspIssuerInCertOrder = `C=NO,O=Bankø AS,L=Volda\, Møre,2.5.4.97=#0c0f4e54524e4f2d313233343536373839,OU=PSD2+CN=Bankø QSeal CA`

// newCert makes a CA with the given raw subject and a TPP certificate it issues.
func newCert(t *testing.T, issuer pkix.RDNSequence, serial int64) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rawIssuer, err := asn1.Marshal(issuer)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: rawIssuer, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "Shop AS", Country: []string{"NO"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestIssuerDN(t *testing.T) {
	tests := []struct {
		name   string
		issuer pkix.RDNSequence
		want   string
	}{
		{"QTSP", qtspIssuer, qtspIssuerDN},
		{"Plain", pkix.RDNSequence{{{Type: oidC, Value: printable("NO")}}, {{Type: oidO, Value: printable("Test CA")}}, {{Type: oidCN, Value: printable("Test CA 1")}}},
			"CN=Test CA 1,O=Test CA,C=NO"},
		// serialNumber is not among RFC 4514's short names (Go's pkix would write SERIALNUMBER=).
		{"SerialNumberAsOID", pkix.RDNSequence{{{Type: oidCN, Value: printable("CA")}}, {{Type: oidSerial, Value: printable("42")}}},
			"2.5.4.5=#13023432,CN=CA"},
		{"Escapes", pkix.RDNSequence{{{Type: oidCN, Value: utf8Value(` #a+b<c>;"\ `)}}}, `CN=\ #a\+b\<c\>\;\"\\\ `},
		{"LeadingHash", pkix.RDNSequence{{{Type: oidO, Value: utf8Value("#1")}}}, `O=\#1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, _ := newCert(t, tt.issuer, 7)
			got, err := IssuerDN(cert)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("IssuerDN = %q, want %q", got, tt.want)
			}
			if tt.name == "QTSP" && cert.Issuer.String() == tt.want {
				t.Errorf("pkix.Name.String() agrees with RFC 4514 here, so the test proves nothing")
			}
		})
	}
}

// client signs requests as the documents ask, with hooks to break each rule.
type client struct {
	t      *testing.T
	base   string
	cert   *x509.Certificate
	key    *rsa.PrivateKey
	keyID  string
	now    time.Time
	header func(value string) string // how the Signature value is put in the header
}

// send signs and sends a request; edit runs before signing, after runs after (to break the
// signature's inputs), sig rewrites the Signature parameters.
func (c *client) send(method, path string, body []byte, edit func(*http.Request), sig func(keyID, headers string) (string, string), after func(*http.Request)) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-Request-ID", uuid.NewString())
	req.Header.Set("PSU-IP-Address", "192.0.2.10")
	req.Header.Set("Date", c.now.UTC().Format(http.TimeFormat))
	req.Header.Set("TPP-Redirect-URI", "https://shop.example/return?p=1")
	req.Header.Set("PSU-Context", "PRIVATE") // seed 004: "Required for single SCA payment initiation"
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	req.Header.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(c.cert.Raw))
	if edit != nil {
		edit(req)
	}
	names := []string{"date", "digest", "x-request-id"}
	for _, n := range []string{"psu-id", "psu-corporate-id", "tpp-redirect-uri"} {
		if req.Header.Get(n) != "" {
			names = append(names, n)
		}
	}
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = n + ": " + req.Header.Get(n)
	}
	hashed := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	s, err := rsa.SignPKCS1v15(rand.Reader, c.key, crypto.SHA256, hashed[:])
	if err != nil {
		c.t.Fatal(err)
	}
	keyID, headers := c.keyID, strings.Join(names, " ")
	if sig != nil {
		keyID, headers = sig(keyID, headers)
	}
	value := fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`, keyID, headers, base64.StdEncoding.EncodeToString(s))
	req.Header.Set("Signature", c.header(value))
	if after != nil {
		after(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// oneWord is the seed's encoding: the whole value as one =?utf-8?B?…?= word.
func oneWord(v string) string {
	for _, r := range v {
		if r >= 0x80 {
			return "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
		}
	}
	return v
}

const product = "norwegian-domestic-credit-transfers"

var paymentBody = []byte(`{"instructedAmount":{"currency":"NOK","amount":"149.00"},"creditorAccount":{"bban":"12345678901"},"creditorName":"Shop AS"}`)

// setup starts a fake trusting a QTSP-issued certificate and returns a client for it.
func setup(t *testing.T, forms Forms) (*Fake, *client) {
	t.Helper()
	cert, key := newCert(t, qtspIssuer, 0x1A2B3C)
	f := New("Sparebanken Møre")
	f.Forms = forms
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.BaseURL = srv.URL
	f.Trust(cert)
	return f, &client{t: t, base: srv.URL, cert: cert, key: key, keyID: "SN=1A2B3C,CA=" + qtspIssuerDN, now: time.Now(), header: oneWord}
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%d answer is not JSON: %v", resp.StatusCode, err)
	}
	return m
}

// create makes a payment and returns its id escaped as a path segment.
func create(t *testing.T, c *client) (string, string) {
	t.Helper()
	resp := c.send("POST", "/v1/payments/"+product, paymentBody, nil, nil, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, decode(t, resp))
	}
	id := decode(t, resp)["paymentId"].(string)
	return id, url.PathEscape(id)
}

var errorID = regexp.MustCompile(`^[0-9]{10}$`)

func TestRejects(t *testing.T) {
	type call struct {
		method, path string
		body         []byte
		edit         func(*http.Request)
		sig          func(keyID, headers string) (string, string)
		after        func(*http.Request)
		header       func(string) string
		as           func(*client)
	}
	_, c := setup(t, Forms{})
	_, esc := create(t, c)
	auth := "/v1/payments/" + product + "/" + esc + "/authorisations"
	withKeyID := func(k string) func(string, string) (string, string) {
		return func(_, h string) (string, string) { return k, h }
	}
	other, otherKey := newCert(t, qtspIssuer, 0x99)
	dup := uuid.NewString()
	tests := []struct {
		name   string
		call   call
		status int
		code   string
	}{
		// Seed 004, Signature: keyId CA is the CA's full DN; not Go's pkix.Name.String() nor the certificate's sequence order.
		{"KeyIDCAFromPkixName", call{sig: withKeyID("SN=1A2B3C,CA=" + c.cert.Issuer.String())}, 401, "SIGNATURE_INVALID"},
		{"KeyIDCAInSequenceOrder", call{sig: withKeyID("SN=1A2B3C,CA=" + qtspIssuerInCertOrder)}, 401, "SIGNATURE_INVALID"},
		{"KeyIDSerialDecimal", call{sig: withKeyID("SN=1715004,CA=" + qtspIssuerDN)}, 401, "SIGNATURE_INVALID"},
		{"KeyIDNoSN", call{sig: withKeyID("CA=" + qtspIssuerDN)}, 401, "SIGNATURE_INVALID"},
		// Seed 004, Signature: non-ASCII values are wrapped as one encoded word.
		{"NonASCIIRaw", call{header: func(v string) string { return v }}, 401, "SIGNATURE_INVALID"},
		{"SeveralEncodedWords", call{header: func(v string) string { return mime.BEncoding.Encode("utf-8", v) }}, 401, "SIGNATURE_INVALID"},
		// Seed 004, Signature headers: the list and (protocol notes) its order.
		{"HeadersOutOfOrder", call{sig: func(k, _ string) (string, string) { return k, "digest date x-request-id tpp-redirect-uri" }}, 401, "SIGNATURE_INVALID"},
		{"TPPRedirectURINotSigned", call{sig: func(k, _ string) (string, string) { return k, "date digest x-request-id" }}, 401, "SIGNATURE_INVALID"},
		{"PSUIDNotSigned", call{edit: func(r *http.Request) { r.Header.Set("PSU-ID", "12345") }, sig: func(k, _ string) (string, string) { return k, "date digest x-request-id tpp-redirect-uri" }}, 401, "SIGNATURE_INVALID"},
		{"AlgorithmOther", call{header: func(v string) string { return oneWord(strings.Replace(v, "rsa-sha256", "hmac-sha256", 1)) }}, 401, "SIGNATURE_INVALID"},
		{"SignedHeaderChanged", call{after: func(r *http.Request) { r.Header.Set("TPP-Redirect-URI", "https://evil.example/") }}, 401, "SIGNATURE_INVALID"},
		{"SignatureMissing", call{after: func(r *http.Request) { r.Header.Del("Signature") }}, 401, "SIGNATURE_INVALID"},
		// Protocol notes: Digest always, SHA-256 of the body, the empty body's too.
		{"DigestMissing", call{after: func(r *http.Request) { r.Header.Del("Digest") }}, 401, "SIGNATURE_INVALID"},
		{"DigestNotOfBody", call{body: []byte("{}"), edit: func(r *http.Request) { r.Header.Set("Digest", emptyDigest) }}, 401, "SIGNATURE_INVALID"},
		{"DateStale", call{edit: func(r *http.Request) { r.Header.Set("Date", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)) }}, 401, "SIGNATURE_INVALID"},
		{"DateMalformed", call{edit: func(r *http.Request) { r.Header.Set("Date", "yesterday") }}, 401, "SIGNATURE_INVALID"},
		// Seed 004, TPP-Signature-Certificate.
		{"CertificateMissing", call{after: func(r *http.Request) { r.Header.Del("TPP-Signature-Certificate") }}, 401, "CERTIFICATE_INVALID"},
		{"CertificateNotTrusted", call{as: func(c *client) { c.cert, c.key, c.keyID = other, otherKey, "SN=99,CA="+qtspIssuerDN }}, 401, "CERTIFICATE_INVALID"},
		{"CertificateOtherThanKeyID", call{after: func(r *http.Request) {
			r.Header.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(other.Raw))
		}}, 401, "SIGNATURE_INVALID"},
		// Seed 004, X-Request-ID unique to the call (a UUID).
		{"XRequestIDNotUUID", call{edit: func(r *http.Request) { r.Header.Set("X-Request-ID", "42") }}, 400, "FORMAT_ERROR"},
		{"XRequestIDFirstUse", call{edit: func(r *http.Request) { r.Header.Set("X-Request-ID", dup) }}, 201, ""},
		{"XRequestIDReused", call{edit: func(r *http.Request) { r.Header.Set("X-Request-ID", dup) }}, 400, "FORMAT_ERROR"},
		// Seed 004, PSU-IP-Address / PSU-Context / PSU-Http-Method.
		{"PSUIPAddressMissing", call{edit: func(r *http.Request) { r.Header.Del("PSU-IP-Address") }}, 400, "FORMAT_ERROR"},
		{"PSUIPAddressWithPort", call{edit: func(r *http.Request) { r.Header.Set("PSU-IP-Address", "192.0.2.10:5000") }}, 400, "FORMAT_ERROR"},
		{"PSUContextUnknown", call{edit: func(r *http.Request) { r.Header.Set("PSU-Context", "BUSINESS") }}, 400, "FORMAT_ERROR"},
		{"PSUContextMissing", call{edit: func(r *http.Request) { r.Header.Del("PSU-Context") }}, 400, "FORMAT_ERROR"},
		{"PSUContextOtherThanAtInitiation", call{edit: func(r *http.Request) { r.Header.Set("PSU-Context", "CORPORATE") }}, 400, "FORMAT_ERROR"},
		{"PSUCorporateIDInPrivateContext", call{edit: func(r *http.Request) { r.Header.Set("PSU-Corporate-ID", "AGR-1") }}, 400, "FORMAT_ERROR"},
		{"PSUHttpMethodUnknown", call{edit: func(r *http.Request) { r.Header.Set("PSU-Http-Method", "HEAD") }}, 400, "FORMAT_ERROR"},
		{"TPPRedirectURIMissing", call{edit: func(r *http.Request) { r.Header.Del("TPP-Redirect-URI") }}, 400, "FORMAT_ERROR"},
		// Protocol notes: ids with "/" escaped as path segments; seed 004 404 RESOURCE_UNKNOWN.
		{"IDSlashUnescaped", call{path: "/v1/payments/" + product + "/" + strings.ReplaceAll(esc, "%2F", "/") + "/authorisations"}, 404, "RESOURCE_UNKNOWN"},
		{"UnknownPayment", call{path: "/v1/payments/" + product + "/NO%21nope/authorisations"}, 404, "RESOURCE_UNKNOWN"},
		{"OtherProduct", call{path: "/v1/payments/sepa-credit-transfers/" + esc + "/authorisations"}, 404, "RESOURCE_UNKNOWN"},
		{"UnknownProduct", call{path: "/v1/payments/bulk/" + esc + "/authorisations"}, 404, "RESOURCE_UNKNOWN"},
		// The create's body rules (protocol notes: NOK accounts use bban).
		{"CreateNOKWithIBAN", call{method: "POST", path: "/v1/payments/" + product,
			body: []byte(`{"instructedAmount":{"currency":"NOK","amount":"1.00"},"creditorAccount":{"iban":"NO9386011117947"},"creditorName":"Shop AS"}`)}, 400, "FORMAT_ERROR"},
		{"CreateNoCreditorName", call{method: "POST", path: "/v1/payments/" + product,
			body: []byte(`{"instructedAmount":{"currency":"NOK","amount":"1.00"},"creditorAccount":{"bban":"12345678901"}}`)}, 400, "FORMAT_ERROR"},
		{"StatusWrongMethod", call{method: "PUT", path: "/v1/payments/" + product + "/" + esc + "/status"}, 405, "SERVICE_INVALID"},
	}
	// why pins the reason for the refusals that could otherwise pass for another one.
	why := map[string]string{
		"KeyIDCAFromPkixName": "keyId CA", "KeyIDCAInSequenceOrder": "keyId CA", "KeyIDSerialDecimal": "serial",
		"NonASCIIRaw": "RFC 2047", "SeveralEncodedWords": "one RFC 2047", "HeadersOutOfOrder": "headers=",
		"TPPRedirectURINotSigned": "headers=", "PSUIDNotSigned": "headers=", "AlgorithmOther": "algorithm",
		"SignedHeaderChanged": "does not verify", "DigestMissing": "Digest", "DigestNotOfBody": "Digest",
		"DateStale": "Date", "DateMalformed": "Date", "PSUContextMissing": "PSU-Context is required",
		"PSUContextOtherThanAtInitiation": "as when the payment was initiated", "PSUCorporateIDInPrivateContext": "only used with", "CertificateOtherThanKeyID": "serial",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := *c
			cc.t = t
			if tt.call.header != nil {
				cc.header = tt.call.header
			}
			if tt.call.as != nil {
				tt.call.as(&cc)
			}
			method, path := tt.call.method, tt.call.path
			if method == "" {
				method = "POST"
			}
			if path == "" {
				path = auth
			}
			resp := cc.send(method, path, tt.call.body, tt.call.edit, tt.call.sig, tt.call.after)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tt.status, decode(t, resp))
			}
			if tt.code == "" {
				return
			}
			// Seed 004: {id, system, status, code, message}.
			m := decode(t, resp)
			if m["code"] != tt.code || m["system"] != "ERA-PSD2" || m["status"] != float64(tt.status) ||
				!errorID.MatchString(fmt.Sprint(m["id"])) || m["message"] == "" || len(m) != 5 {
				t.Errorf("error body %v, want code %s in the documented form", m, tt.code)
			}
			if w := why[tt.name]; !strings.Contains(fmt.Sprint(m["message"]), w) {
				t.Errorf("refused for %q, want a reason mentioning %q", m["message"], w)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestAccepts(t *testing.T) {
	tests := []struct {
		name string
		edit func(*client)
	}{
		{"QTSPEncodedWord", func(c *client) {}},
		{"SerialLowerCase", func(c *client) { c.keyID = "SN=1a2b3c,CA=" + qtspIssuerDN }},
		{"EncodedWordISO88591", func(c *client) {
			c.header = func(v string) string {
				latin := make([]byte, 0, len(v))
				for _, r := range v {
					latin = append(latin, byte(r))
				}
				return "=?ISO-8859-1?B?" + base64.StdEncoding.EncodeToString(latin) + "?="
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := setup(t, Forms{})
			tt.edit(c)
			id, esc := create(t, c)
			for _, step := range []struct {
				method, path string
				status       int
			}{
				{"POST", "/v1/payments/" + product + "/" + esc + "/authorisations", 201},
				{"GET", "/v1/payments/" + product + "/" + esc + "/status", 200},
				{"DELETE", "/v1/payments/" + product + "/" + esc, 204},
				{"DELETE", "/v1/payments/" + product + "/" + esc, 400},
			} {
				if resp := c.send(step.method, step.path, nil, nil, nil, nil); resp.StatusCode != step.status {
					t.Fatalf("%s %s: %d, want %d", step.method, step.path, resp.StatusCode, step.status)
				}
			}
			if f.Status(id) != "CANC" {
				t.Errorf("status %q after cancel", f.Status(id))
			}
		})
	}
}

// sameShape checks that every key of the document's example is in got with the same JSON type.
func sameShape(t *testing.T, example, got any, path string) {
	t.Helper()
	switch ex := example.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: %T, the example has an object", path, got)
			return
		}
		for k, v := range ex {
			if k == "self" || k == "scaRedirect" { // _links names vary: each link is checked where it exists
				if gv, ok := g[k]; ok {
					sameShape(t, v, gv, path+"."+k)
				}
				continue
			}
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s missing, the example has it", path, k)
				continue
			}
			sameShape(t, v, gv, path+"."+k)
		}
	case []any:
		if _, ok := got.([]any); !ok {
			t.Errorf("%s: %T, the example has an array", path, got)
		}
	default:
		if fmt.Sprintf("%T", example) != fmt.Sprintf("%T", got) {
			t.Errorf("%s: %T, the example has %T", path, got, example)
		}
	}
}

func example(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestForms(t *testing.T) {
	for _, fc := range AllForms() {
		t.Run(fc.Name, func(t *testing.T) {
			forms := fc.Forms
			_, c := setup(t, forms)
			_, esc := create(t, c)

			resp := c.send("POST", "/v1/payments/"+product+"/"+esc+"/authorisations", nil, nil, nil, nil)
			body := decode(t, resp)
			links, _ := body["_links"].(map[string]any)
			redirect, _ := links["scaRedirect"].(map[string]any)
			if redirect == nil || redirect["href"] == "" {
				t.Fatalf("no _links.scaRedirect.href in %v", body)
			}
			href := redirect["href"].(string)
			if !strings.HasPrefix(href, c.base+"/sca?") {
				t.Errorf("scaRedirect %q is not the fake's SCA page", href)
			}
			if got := strings.Contains(href, " "); got != forms.RawRedirectQuery {
				t.Errorf("raw query in href %q: %v, want %v", href, got, forms.RawRedirectQuery)
			}
			if _, got := redirect["verbs"]; got != forms.LinkVerbs {
				t.Errorf("verbs present %v, want %v", got, forms.LinkVerbs)
			}
			if forms.Identify401 {
				if resp.StatusCode != 401 || len(body) != 1 {
					t.Errorf("identify: %d %v, want 401 with _links only", resp.StatusCode, body)
				}
				sameShape(t, example(t, "start_authorisation_401.json"), body, "")
			} else {
				want := map[bool]string{false: "RECEIVED", true: "STARTED"}[forms.ScaStatusStarted]
				if resp.StatusCode != 201 || body["scaStatus"] != want || len(body) != 2 {
					t.Errorf("start: %d %v, want 201 with scaStatus %s and _links only", resp.StatusCode, body, want)
				}
				if _, got := links["self"]; got != forms.SelfLink {
					t.Errorf("self link present %v, want %v", got, forms.SelfLink)
				}
				if forms.LinkVerbs && forms.SelfLink {
					sameShape(t, example(t, "start_authorisation_201.json"), body, "")
				}
			}

			// The SCA page the href names works whatever the form of the href.
			page, err := http.Get(strings.ReplaceAll(href, " ", "%20"))
			if err != nil {
				t.Fatal(err)
			}
			page.Body.Close()
			if page.StatusCode != 200 {
				t.Errorf("SCA page %d", page.StatusCode)
			}

			// Error forms: a 404 and a refused signature.
			resp = c.send("GET", "/v1/payments/"+product+"/NO%21nope/status", nil, nil, nil, nil)
			e := decode(t, resp)
			if resp.StatusCode != 404 || e["code"] != "RESOURCE_UNKNOWN" {
				t.Errorf("unknown payment: %d %v", resp.StatusCode, e)
			}
			wantBody := map[bool]float64{false: 404, true: 400}[forms.ErrorBodyStatusFromSchema]
			if e["status"] != wantBody {
				t.Errorf("body status %v, want %v", e["status"], wantBody)
			}
			if _, got := e["message"]; got == forms.ErrorWithoutMessage {
				t.Errorf("message present %v with ErrorWithoutMessage %v", got, forms.ErrorWithoutMessage)
			}
			ex := "start_authorisation_404_schema.json"
			if forms.ErrorWithoutMessage {
				ex = "start_authorisation_404_resource_unknown.json"
			}
			sameShape(t, example(t, ex), e, "")

			resp = c.send("GET", "/v1/payments/"+product+"/"+esc+"/status", nil, nil, nil,
				func(r *http.Request) { r.Header.Set("Digest", emptyDigest[:len(emptyDigest)-2]+"A=") })
			wantStatus := map[bool]int{false: 401, true: 400}[forms.SignatureErrorsAs400]
			if e := decode(t, resp); resp.StatusCode != wantStatus || e["code"] != "SIGNATURE_INVALID" {
				t.Errorf("bad digest: %d %v, want %d SIGNATURE_INVALID", resp.StatusCode, e, wantStatus)
			}
		})
	}
}

// TestAllFormsCoverEveryAlternative fails when a Forms field is never switched on by AllForms.
func TestAllFormsCoverEveryAlternative(t *testing.T) {
	on := map[string]bool{}
	for _, fc := range AllForms() {
		b, _ := json.Marshal(fc.Forms)
		var m map[string]bool
		json.Unmarshal(b, &m)
		for k, v := range m {
			on[k] = on[k] || v
		}
	}
	b, _ := json.Marshal(Forms{})
	var all map[string]bool
	json.Unmarshal(b, &all)
	for k := range all {
		if !on[k] {
			t.Errorf("Forms.%s is never on in AllForms", k)
		}
	}
}
