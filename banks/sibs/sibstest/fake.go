// Package sibstest is a fake of the SIBS API Market gateway, written from the gateway's own
// reference (seed 003_fd802554db3ccf8e.txt, "TSU Payment Initiation API", cited below as "seed")
// and the project's notes (protocols/powens-sibs.md, SIBS section). It wants the registered
// x-ibm-client-id and a valid HTTP Signature from a trusted certificate on every call, a Date in
// the seed's "yyyy-MM-dd'T'hh:MM:ss.SSS" form, a UUID X-Request-ID and PSU-IP-Address, and it
// checks payments and TSU payments against the seed's schemas, answering with the seed's
// MessageCode values (misspellings included). One bank chooses redirect SCA, the other embedded
// SCA with an SMS code (the code is OTP). Where the seed allows more than one form of an answer,
// Forms chooses which one the fake gives.
package sibstest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"paybybank/banks/httpsig"
	"paybybank/i18n"
)

// OTP is the code the embedded bank's "SMS" carries.
const OTP = "123456"

// AdditionalInformation is the embedded bank's challengeData.additionalInformation. The seed
// (definition "Requested Authentication Data") says "The TPP is obliged to show this to the
// PSU", so journey tests can look for this exact text on the one-time-code page.
const AdditionalInformation = "Introduza o código de 6 dígitos enviado por SMS para o número terminado em 28."

// PSUAccount is the debtor account the fake reports for a payment whose creation did not name
// one: the seed's TSU creation body does not require debtorAccount, but "Returns the content of a
// payment initiation object" does, so the bank fills in the account the PSU paid from.
const PSUAccount = "PT50000201231234567890154"

// ASPSP is a bank behind the gateway.
type ASPSP struct {
	ID       string `json:"id"`
	BIC      string `json:"bic"`
	BankCode string `json:"bank-code"`
	Code     string `json:"aspsp-cde"`
	Name     string `json:"name"`
	Embedded bool   `json:"-"`
}

// DefaultBanks are the sandbox's Portuguese banks.
func DefaultBanks() []ASPSP {
	return []ASPSP{
		{ID: "1", BIC: "BTSTPTPL", BankCode: "0099", Code: "BTST", Name: "Banco Teste"},
		{ID: "2", BIC: "BOTPPTPL", BankCode: "0098", Code: "BOTP", Name: "Banco Código SMS", Embedded: true},
	}
}

// Forms chooses, wherever the seed allows more than one form of an answer, which one the fake
// gives. The zero value is the form the fake has always answered in.
type Forms struct {
	// LinksAsStrings writes every _links entry as a plain string, as the seed types them
	// (definition "A list of hyperlinks to be recognized by the TPP": every link "type":
	// "string"), instead of Berlin Group's {"href": …} object.
	LinksAsStrings bool
	// ScaRedirectLink names the redirect SCA link "scaRedirect", the only name in the seed's
	// creation _links (TSUPaymentLink), instead of "redirect", the name the seed's update and
	// cancel answers describe ("“redirect”: In case of an SCA Redirect Approach …").
	ScaRedirectLink bool
	// AbsoluteLinks writes links as full URLs (PageURL, or the request's host, then the path)
	// instead of paths from the API root: "All links can be relative or full links, to be
	// decided by the ASPSP" (seed, update answer's _links).
	AbsoluteLinks bool
	// SelfStatusLinks adds the optional "self" and "status" links to the creation answer (seed
	// TSUPaymentLink: "self", "status").
	SelfStatusLinks bool
	// RedirectViaStart makes the redirect bank answer the creation with a startAuthorisation
	// link only; POSTing it ("No specific data is needed", seed TSUPaymentLink.startAuthorisation)
	// answers with the redirect link and an scaStatus link.
	RedirectViaStart bool
	// StartFirst makes the embedded bank answer the creation with a startAuthorisation link
	// only; POSTing it sends the SMS and answers with chosenScaMethod, challengeData and the
	// startAuthorisationWithTransactionAuthorisation link. Zero: the creation answer itself
	// carries chosenScaMethod, challengeData and that link (seed "Creates a payment initiation
	// response to TPP": chosenScaMethod is "only contained … if the authentication method is
	// implicitly selected").
	StartFirst bool
	// NoScaMethods leaves out scaMethods, which the seed says "might be contained, if SCA is
	// required and if the PSU has a choice" (creation answer).
	NoScaMethods bool
	// NoChallengeData leaves out challengeData, "contained in addition to the data element
	// chosenScaMethod if challenge data is needed for SCA" (creation answer); an SMS OTP needs none.
	NoChallengeData bool
	// OptionalFields adds the optional fields of the seed's answers: transactionFees,
	// transactionFeeIndicator and psuMessage on the creation; debtorName, referencePeriod,
	// taxpayerIdentificationNumber, endToEndIdentification, requestedExecutionDate,
	// transactionFees and transactionFeeIndicator on the payment read.
	OptionalFields bool
	// OTPWithoutScaStatus leaves scaStatus out of the answer to the one-time code: the seed's
	// "Sends an update information related to a previous payment initiation" has only
	// transactionStatus, _links, scaChallengeData, psuMessageInformation and
	// tppMessageInformation (additionalProperties false); Berlin Group adds scaStatus.
	OTPWithoutScaStatus bool
	// CancelNoContent answers a cancellation with 204 and no body; zero answers 200 with
	// {"transactionStatus": "CANC"}. The seed lists no success status for the cancellation and
	// its answer schema ("Cancels a given payment initiaton resource") is optional.
	CancelNoContent bool
	// AcceptedStatus is the transactionStatus after a successful SCA; empty means ACSC. The
	// seed's TransactionStatusType allows ACTC, ACFC, ACWC, ACWP, ACSP and ACSC for an
	// accepted payment.
	AcceptedStatus string
	// NokRedirect sends the PSU who refuses at the redirect page to TPP-Nok-Redirect-URI when
	// the creation carried one; zero ignores it, which the seed allows ("This may be ignored
	// by the ASPSP").
	NokRedirect bool
	// ErrorsWithoutStatus answers errors with the seed's "Error Information" ({tppMessages});
	// zero uses "Error and status Information" ({transactionStatus: RJCT, tppMessages}).
	ErrorsWithoutStatus bool
}

// AllForms returns named combinations of Forms that together give every alternative at least
// once; connector tests should pass in each.
func AllForms() []struct {
	Name  string
	Forms Forms
} {
	return []struct {
		Name  string
		Forms Forms
	}{
		{"default", Forms{}},
		{"seed-links", Forms{LinksAsStrings: true, ScaRedirectLink: true, AbsoluteLinks: true, SelfStatusLinks: true}},
		{"explicit-start", Forms{RedirectViaStart: true, StartFirst: true, NoScaMethods: true, OTPWithoutScaStatus: true, LinksAsStrings: true}},
		{"lean", Forms{NoChallengeData: true, NoScaMethods: true, CancelNoContent: true, AcceptedStatus: "ACSP", ErrorsWithoutStatus: true}},
		{"rich", Forms{OptionalFields: true, NokRedirect: true, AcceptedStatus: "ACTC", SelfStatusLinks: true, StartFirst: true}},
	}
}

// Fake is the gateway.
type Fake struct {
	// ClientID is the x-ibm-client-id the gateway accepts.
	ClientID string
	// PageURL is the fake's base URL: the browser reaches the redirect SCA page under it, and
	// full links (Forms.AbsoluteLinks) start with it.
	PageURL string
	// Now is the gateway's clock, against which the Date header is checked.
	Now func() time.Time
	// Forms chooses the form of the answers where the seed allows several.
	Forms Forms

	mu       sync.Mutex
	banks    []ASPSP
	trusted  map[string]bool
	seen     map[string]bool
	payments map[string]*payment
}

type payment struct {
	id, bank, service, product, status string
	redirect, nokRedirect              string
	body                               map[string]any
	amount, label                      string
	embedded                           bool
	startOffered                       bool   // the creation answer carried startAuthorisation
	auth                               string // authorisation id, minted when SCA is first offered
	authCreated                        bool   // the authorisation sub-resource exists (seed: scaStatus link)
	otpOffered                         bool   // the SMS was sent and the OTP link given
	pageOffered                        bool   // the redirect link was given
	page                               string // secret in the redirect link
	scaStatus                          string
	tries                              int
}

// New returns a gateway for one client.
func New(clientID string) *Fake {
	return &Fake{ClientID: clientID, Now: time.Now, banks: DefaultBanks(), trusted: map[string]bool{}, seen: map[string]bool{}, payments: map[string]*payment{}}
}

// Trust registers a TPP's signing certificate.
func (f *Fake) Trust(cert *x509.Certificate) {
	f.mu.Lock()
	f.trusted[fmt.Sprintf("%X", cert.SerialNumber)] = true
	f.mu.Unlock()
}

// Message codes the fake uses, all from the seed's MessageCode enum ("Message error codes.").
// The enum has no FORMAT_ERROR, SIGNATURE_INVALID, CERTIFICATE_INVALID or
// PSU_CREDENTIALS_INVALID, so errors it has no name for take its default, CONSENT_INVALID, when
// the caller is not authorised, and PAYMENT_FAILED when a payment request is refused.
const (
	codeUnauthorised = "CONSENT_INVALID"
	codeRefused      = "PAYMENT_FAILED"
)

func (f *Fake) tpp(w http.ResponseWriter, status int, code, text string) {
	out := map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": code, "text": text}}}
	if !f.Forms.ErrorsWithoutStatus {
		out["transactionStatus"] = "RJCT"
	}
	writeJSON(w, status, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ServeHTTP routes the gateway's API and the redirect SCA page.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/sca" {
		f.sca(w, r)
		return
	}
	if !f.verify(w, r) {
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) == 3 && segs[0] == "sibs" && segs[1] == "v1-0-2" && segs[2] == "available-aspsp" && r.Method == "GET" {
		writeJSON(w, 200, map[string]any{"aspsp-list": f.banks})
		return
	}
	if len(segs) < 4 || segs[1] != "v1-0-4" || (segs[2] != "payments" && segs[2] != "tsu-payments") {
		f.tpp(w, 404, "RESOURCE_UNIKNOWN", "no such resource")
		return
	}
	bank := f.bank(segs[0])
	if bank == nil {
		f.tpp(w, 404, "RESOURCE_UNIKNOWN", "no such ASPSP "+segs[0])
		return
	}
	service, product := segs[2], segs[3]
	// Seed, every operation's path parameter "Type of payment": enum ["tsu-payments"] under
	// /tsu-payments; the payments products are the Berlin Group ones the notes list.
	switch {
	case service == "tsu-payments" && product != "tsu-payments",
		service == "payments" && product != "sepa-credit-transfers" && product != "instant-sepa-credit-transfers" && product != "cross-border-credit-transfers" && product != "target-2-payments":
		f.tpp(w, 404, "PRODUCT_UNKNOWN", "unknown payment product "+product)
		return
	case len(segs) == 4 && r.Method == "POST":
		f.create(w, r, bank, service, product)
		return
	case len(segs) == 4:
		f.tpp(w, 405, codeRefused, "method not allowed")
		return
	}
	p := f.find(w, segs[4], bank, service, product)
	if p == nil {
		return
	}
	switch {
	case len(segs) == 5 && r.Method == "GET":
		f.get(w, p)
	case len(segs) == 5 && r.Method == "DELETE":
		f.cancel(w, r, p)
	case len(segs) == 6 && segs[5] == "status" && r.Method == "GET":
		f.mu.Lock()
		status := p.status
		f.mu.Unlock()
		// Seed "Informs TPP about status of a payment initiation": {transactionStatus} only.
		writeJSON(w, 200, map[string]string{"transactionStatus": status})
	case len(segs) == 6 && segs[5] == "authorisations" && r.Method == "POST":
		f.startAuth(w, r, p)
	case len(segs) == 7 && segs[5] == "authorisations" && r.Method == "GET":
		f.scaStatusOf(w, p, segs[6])
	case len(segs) == 8 && segs[5] == "authorisations" && segs[7] == "transaction-authorisation" && r.Method == "POST":
		f.otp(w, r, p, segs[6])
	default:
		f.tpp(w, 405, codeRefused, "method not allowed")
	}
}

func (f *Fake) bank(code string) *ASPSP {
	for i := range f.banks {
		if f.banks[i].Code == code {
			return &f.banks[i]
		}
	}
	return nil
}

// seedDate is the seed's "Request date" header pattern, "yyyy-MM-dd'T'hh:MM:ss.SSS", given on
// every operation (create, get, status, cancel). Read literally as a Java pattern it has a
// 12-hour clock and the month where the minutes go; the fake takes the evident meaning (a
// 24-hour clock, minutes) and insists on the shape: no zone, exactly three fraction digits.
var seedDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$`)

// maxZone bounds how far a zone-less Date can be from UTC: the seed gives no zone, so the fake
// accepts a clock in any zone (UTC-12 to UTC+14) plus five minutes of skew.
const maxZone = 14*time.Hour + 5*time.Minute

func (f *Fake) checkDate(r *http.Request) error {
	v := r.Header.Get("Date")
	// The bank list (v1-0-2) is outside the seed; it also takes an HTTP date.
	if r.URL.Path == "/sibs/v1-0-2/available-aspsp" {
		if t, err := http.ParseTime(v); err == nil {
			if d := f.Now().Sub(t); d > 5*time.Minute || d < -5*time.Minute {
				//lint:ignore ST1005 the message opens with the header's name, which is capitalised
				return fmt.Errorf("Date is %s off", d.Round(time.Second))
			}
			return nil
		}
	}
	if !seedDate.MatchString(v) {
		//lint:ignore ST1005 the message opens with the header's name, which is capitalised
		return fmt.Errorf("Date %q is not yyyy-MM-dd'T'HH:mm:ss.SSS", v)
	}
	t, err := time.Parse("2006-01-02T15:04:05.000", v)
	if err != nil {
		//lint:ignore ST1005 the message opens with the header's name, which is capitalised
		return fmt.Errorf("Date %q: %v", v, err)
	}
	if d := f.Now().UTC().Sub(t); d > maxZone || d < -maxZone {
		//lint:ignore ST1005 the message opens with the header's name, which is capitalised
		return fmt.Errorf("Date is %s off", d.Round(time.Second))
	}
	return nil
}

// checkSignature verifies the HTTP Signature as httpsig.Verify does, except for the Date, whose
// form the seed fixes (see seedDate) and which httpsig would read as an HTTP date. Seed: the
// Signature "might be mandated by ASPSP" (the gateway does), TPP-Signature-Certificate "Must be
// contained if a signature is contained", Digest "Should be present when Request body exists".
func checkSignature(r *http.Request) (*x509.Certificate, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	raw, err := base64.StdEncoding.DecodeString(r.Header.Get("TPP-Signature-Certificate"))
	if err != nil || len(raw) == 0 {
		return nil, errors.New("TPP-Signature-Certificate missing or not base64")
	}
	cert, err := x509.ParseCertificate(raw)
	if err != nil {
		return nil, fmt.Errorf("TPP-Signature-Certificate: %w", err)
	}
	p, err := httpsig.Parse(r.Header.Get("Signature"))
	if err != nil {
		return nil, err
	}
	if p.Algorithm != "rsa-sha256" {
		return nil, fmt.Errorf("algorithm %q, want rsa-sha256", p.Algorithm)
	}
	if p.KeyID != httpsig.KeyID(cert) {
		return nil, fmt.Errorf("keyId %q does not name the certificate sent", p.KeyID)
	}
	if want := httpsig.Headers(r.Header); strings.Join(p.Headers, " ") != strings.Join(want, " ") {
		return nil, fmt.Errorf("signed headers %q, want %q", strings.Join(p.Headers, " "), strings.Join(want, " "))
	}
	if r.Header.Get("Digest") != httpsig.Digest(body) {
		//lint:ignore ST1005 the message opens with the header's name, which is capitalised
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
	lines := make([]string, len(p.Headers))
	for i, n := range p.Headers {
		lines[i] = n + ": " + r.Header.Get(n)
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return nil, errors.New("signature does not verify")
	}
	return cert, nil
}

// geoRe is the seed's PSU-Geo-Location pattern exactly as written (every operation); its
// brackets make character classes, so it accepts "GEO:38.736946;-9.142685" but not every
// coordinate a client might think of.
var geoRe = regexp.MustCompile(`^GEO:[-?+?(\d){1,3}.(\d){6}]{8,11};[-?+?(\d){1,3}.(\d){6}]{8,11}$`)

func (f *Fake) verify(w http.ResponseWriter, r *http.Request) bool {
	// The gateway's client id (powens-sibs.md, SIBS headers); the seed itself does not name it.
	if r.Header.Get("x-ibm-client-id") != f.ClientID {
		f.tpp(w, 401, "CONSENT_UNKNOWN", "x-ibm-client-id missing or unknown")
		return false
	}
	// Seed, every operation: "Request date" with pattern yyyy-MM-dd'T'hh:MM:ss.SSS; the enum's
	// TIMESTAMP_INVALID names the refusal.
	if err := f.checkDate(r); err != nil {
		f.tpp(w, 400, "TIMESTAMP_INVALID", err.Error())
		return false
	}
	cert, err := checkSignature(r)
	if err != nil {
		f.tpp(w, 401, codeUnauthorised, err.Error())
		return false
	}
	if v := r.Header.Get("PSU-Geo-Location"); v != "" && !geoRe.MatchString(v) {
		f.tpp(w, 400, codeRefused, "PSU-Geo-Location does not match the pattern")
		return false
	}
	xid := r.Header.Get("X-Request-ID")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.trusted[fmt.Sprintf("%X", cert.SerialNumber)]:
		f.tpp(w, 401, codeUnauthorised, "the signing certificate is not registered")
	// Seed: X-Request-ID is the "ID of the transaction as determined by the initiating party";
	// the enum names the refusal TRANSACTION_ID_INVALID. UUID form: Berlin Group.
	case uuid.Validate(xid) != nil || f.seen[xid]:
		f.tpp(w, 400, "TRANSACTION_ID_INVALID", "X-Request-ID must be a fresh UUID")
	// Seed: PSU-IP-Address is the one PSU header without "if available" on every operation;
	// the fake asks for it whenever the PSU acts (not on reads, which a worker may do alone).
	case r.Method != "GET" && r.Header.Get("PSU-IP-Address") == "":
		f.tpp(w, 400, codeRefused, "PSU-IP-Address is required")
	default:
		f.seen[xid] = true
		return true
	}
	return false
}

// redirectRequired is the seed's rule for TPP-Redirect-URI on the creation and the cancellation:
// "Shall be contained at least if the tppRedirectPreferred parameter is set to true or is
// missing."
func redirectRequired(r *http.Request) bool {
	return r.Header.Get("TPP-Redirect-URI") == "" && !strings.EqualFold(r.Header.Get("TPP-Redirect-Preferred"), "false")
}

var (
	// Seed definition Amount: currency ^[A-Z]{3,3}$, amount pattern, both required,
	// additionalProperties false.
	currencyRe = regexp.MustCompile(`^[A-Z]{3,3}$`)
	amountRe   = regexp.MustCompile(`^\-{0,1}[0-9]{1,9}(\.[0-9]{0,2}){0,1}$`)
	// Seed definition "Identifier of the addressed account" (AccountReference).
	ibanRe = regexp.MustCompile(`^[A-Z]{2,2}[0-9]{2,2}[a-zA-Z0-9]{1,30}$`)
	bbanRe = regexp.MustCompile(`^[a-zA-Z0-9]{1,30}$`)
	// Seed TSU body: referencePeriod maxLength 6, pattern.
	periodRe = regexp.MustCompile(`^\d{4}(0[1-9]{1}|1[0-2]{1})$`)
)

// checkAmount applies the seed's Amount definition.
func checkAmount(v any) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", errors.New("instructedAmount is required")
	}
	for k := range m {
		if k != "currency" && k != "amount" {
			return "", fmt.Errorf("instructedAmount.%s is not allowed", k)
		}
	}
	cur, _ := m["currency"].(string)
	amt, _ := m["amount"].(string)
	if !currencyRe.MatchString(cur) || !amountRe.MatchString(amt) {
		return "", errors.New("instructedAmount needs an ISO 4217 currency and an amount string matching ^\\-{0,1}[0-9]{1,9}(\\.[0-9]{0,2}){0,1}$")
	}
	return amt, nil
}

// checkAccount applies the seed's AccountReference: iban and bban patterns, "used in a mutually
// exclusive way", no other properties than the listed ones.
func checkAccount(name string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s must be an object", name)
	}
	allowed := map[string]bool{"iban": true, "bban": true, "pan": true, "maskedPan": true, "msisdn": true, "currency": true}
	for k := range m {
		if !allowed[k] {
			return fmt.Errorf("%s.%s is not allowed", name, k)
		}
	}
	iban, hasIBAN := m["iban"].(string)
	bban, hasBBAN := m["bban"].(string)
	switch {
	case hasIBAN && hasBBAN:
		return fmt.Errorf("%s: iban and bban are mutually exclusive", name)
	case hasIBAN && !ibanRe.MatchString(iban), hasBBAN && !bbanRe.MatchString(bban):
		return fmt.Errorf("%s: malformed iban or bban", name)
	case !hasIBAN && !hasBBAN:
		return fmt.Errorf("%s needs an iban or a bban", name)
	}
	if cur, ok := m["currency"].(string); ok && !currencyRe.MatchString(cur) {
		return fmt.Errorf("%s.currency is malformed", name)
	}
	return nil
}

// checkTSU applies the seed's TSU creation body ("Payment Initiation Request"): required
// referencePeriod, instructedAmount, socialSecurityAccountCode, taxpayerIdentificationNumber;
// debtorAccount optional; additionalProperties true. It answers the message code and text of
// the first rule broken.
func checkTSU(in map[string]any) (code, text string) {
	for _, k := range []string{"referencePeriod", "instructedAmount", "socialSecurityAccountCode", "taxpayerIdentificationNumber"} {
		if _, ok := in[k]; !ok {
			return codeRefused, k + " is required"
		}
	}
	if _, err := checkAmount(in["instructedAmount"]); err != nil {
		return codeRefused, err.Error()
	}
	if v, ok := in["debtorAccount"]; ok {
		if err := checkAccount("debtorAccount", v); err != nil {
			return codeRefused, err.Error()
		}
	}
	switch ss, _ := in["socialSecurityAccountCode"].(string); ss {
	case "SSMN", "SSMD", "SSAZ":
	default:
		return codeRefused, "socialSecurityAccountCode must be SSMN, SSMD or SSAZ"
	}
	// Seed: taxpayerIdentificationNumber is a string of maxLength 12, with no pattern.
	if nif, ok := in["taxpayerIdentificationNumber"].(string); !ok || nif == "" || len([]rune(nif)) > 12 {
		return codeRefused, "taxpayerIdentificationNumber must be a string of at most 12 characters"
	}
	if period, _ := in["referencePeriod"].(string); !periodRe.MatchString(period) {
		return "PERIOD_INVALID", "referencePeriod must be YYYYMM"
	}
	if v, ok := in["endToEndIdentification"]; ok {
		if s, ok := v.(string); !ok || len([]rune(s)) > 35 {
			return codeRefused, "endToEndIdentification must be a string of at most 35 characters"
		}
	}
	// Seed: requestedExecutionDate "format": "date" (yyyy-MM-dd).
	if v, ok := in["requestedExecutionDate"]; ok {
		if s, ok := v.(string); !ok || !validDate(s) {
			return codeRefused, "requestedExecutionDate must be yyyy-MM-dd"
		}
	}
	return "", ""
}

func validDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// checkCreditTransfer applies Berlin Group's rules for the payments products, which the seed
// does not document: instructedAmount (seed Amount), creditorAccount and creditorName required.
func checkCreditTransfer(in map[string]any) (code, text string) {
	if _, err := checkAmount(in["instructedAmount"]); err != nil {
		return codeRefused, err.Error()
	}
	if err := checkAccount("creditorAccount", in["creditorAccount"]); err != nil {
		return codeRefused, err.Error()
	}
	if name, _ := in["creditorName"].(string); name == "" {
		return codeRefused, "creditorName is required"
	}
	if v, ok := in["debtorAccount"]; ok {
		if err := checkAccount("debtorAccount", v); err != nil {
			return codeRefused, err.Error()
		}
	}
	return "", ""
}

func (f *Fake) create(w http.ResponseWriter, r *http.Request, bank *ASPSP, service, product string) {
	var in map[string]any
	data, _ := io.ReadAll(r.Body)
	if json.Unmarshal(data, &in) != nil || in == nil {
		f.tpp(w, 400, codeRefused, "malformed JSON")
		return
	}
	// Seed, TSU Payment Initiation Request, header TPP-Redirect-URI: "Shall be contained at least
	// if the tppRedirectPreferred parameter is set to true or is missing". The redirect bank has
	// no other approach, so it needs the URI whatever the preference.
	if redirectRequired(r) || (!bank.Embedded && r.Header.Get("TPP-Redirect-URI") == "") {
		f.tpp(w, 400, codeRefused, "TPP-Redirect-URI is required unless TPP-Redirect-Preferred is false (and this bank only redirects)")
		return
	}
	var code, text string
	if service == "tsu-payments" {
		code, text = checkTSU(in)
	} else {
		code, text = checkCreditTransfer(in)
	}
	if code != "" {
		f.tpp(w, 400, code, text)
		return
	}
	amount, _ := checkAmount(in["instructedAmount"])
	label, _ := in["creditorName"].(string)
	if service == "tsu-payments" {
		label = fmt.Sprintf("Segurança Social %v %v", in["socialSecurityAccountCode"], in["referencePeriod"])
	}
	p := &payment{id: uuid.NewString(), bank: bank.Code, service: service, product: product, status: "RCVD",
		redirect: r.Header.Get("TPP-Redirect-URI"), nokRedirect: r.Header.Get("TPP-Nok-Redirect-URI"),
		body: in, amount: amount, label: label, embedded: bank.Embedded, auth: uuid.NewString(), page: secret()}
	out := map[string]any{"transactionStatus": "RCVD", "paymentId": p.id}
	links := map[string]string{}
	base := f.base(p)
	switch {
	case bank.Embedded && f.Forms.StartFirst, !bank.Embedded && f.Forms.RedirectViaStart:
		p.startOffered = true
		links["startAuthorisation"] = base + "/authorisations"
	case bank.Embedded:
		// Seed, creation answer: chosenScaMethod "only contained … if the APSPS has chosen the
		// Embedded SCA Approach … and if the authentication method is implicitly selected";
		// challengeData "contained in addition to the data element chosenScaMethod".
		p.otpOffered = true
		f.addChallenge(out)
		links["startAuthorisationWithTransactionAuthorisation"] = base + "/authorisations/" + p.auth + "/transaction-authorisation"
	default:
		p.pageOffered = true
		links[f.redirectName()] = f.pageLink(r, p)
	}
	if bank.Embedded && !f.Forms.NoScaMethods {
		out["scaMethods"] = []map[string]string{{"authenticationType": "SMS_OTP", "authenticationMethodId": "SMS", "name": "SMS OTP para +351 9xx xxx x28"}}
	}
	if f.Forms.SelfStatusLinks {
		links["self"] = base
		links["status"] = base + "/status"
	}
	if f.Forms.OptionalFields {
		out["transactionFees"] = map[string]string{"currency": "EUR", "amount": "0.00"}
		out["transactionFeeIndicator"] = false
		out["psuMessage"] = "Pagamento recebido; autorize-o no seu banco."
	}
	out["_links"] = f.links(r, links)
	f.mu.Lock()
	f.payments[p.id] = p
	f.mu.Unlock()
	writeJSON(w, 201, out)
}

// addChallenge puts the embedded bank's chosen method and challenge into an answer.
func (f *Fake) addChallenge(out map[string]any) {
	out["chosenScaMethod"] = map[string]string{"authenticationType": "SMS_OTP", "authenticationMethodId": "SMS", "name": "SMS OTP para +351 9xx xxx x28"}
	if !f.Forms.NoChallengeData {
		out["challengeData"] = map[string]any{"otpMaxLength": 6, "otpFormat": "integer", "additionalInformation": AdditionalInformation}
	}
}

func secret() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *Fake) redirectName() string {
	if f.Forms.ScaRedirectLink {
		return "scaRedirect"
	}
	return "redirect"
}

// base is the payment's path from the API root.
func (f *Fake) base(p *payment) string {
	return "/" + p.bank + "/v1-0-4/" + p.service + "/" + p.product + "/" + p.id
}

// pageLink is the redirect SCA page for a payment; it carries a secret, so only the link works.
func (f *Fake) pageLink(r *http.Request, p *payment) string {
	return f.root(r) + "/sca?payment=" + url.QueryEscape(p.id) + "&s=" + p.page
}

func (f *Fake) root(r *http.Request) string {
	if f.PageURL != "" {
		return f.PageURL
	}
	return "http://" + r.Host
}

// links renders _links in the chosen form.
func (f *Fake) links(r *http.Request, in map[string]string) map[string]any {
	out := map[string]any{}
	for name, href := range in {
		if f.Forms.AbsoluteLinks && strings.HasPrefix(href, "/") {
			href = f.root(r) + href
		}
		if f.Forms.LinksAsStrings {
			out[name] = href
		} else {
			out[name] = map[string]string{"href": href}
		}
	}
	return out
}

func (f *Fake) find(w http.ResponseWriter, id string, bank *ASPSP, service, product string) *payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.payments[id]
	if p == nil || p.bank != bank.Code || p.service != service || p.product != product {
		f.tpp(w, 404, "RESOURCE_UNIKNOWN", "no such payment")
		return nil
	}
	return p
}

// get answers the seed's "Returns the content of a payment initiation object" for TSU payments
// (required transactionStatus, paymentId, debtorAccount, instructedAmount,
// socialSecurityAccountCode) and Berlin Group's echo of the request for the payments products.
func (f *Fake) get(w http.ResponseWriter, p *payment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]any{"transactionStatus": p.status, "paymentId": p.id}
	debtor := p.body["debtorAccount"]
	if debtor == nil {
		debtor = map[string]string{"iban": PSUAccount}
	}
	if p.service == "tsu-payments" {
		out["debtorAccount"] = debtor
		out["instructedAmount"] = p.body["instructedAmount"]
		out["socialSecurityAccountCode"] = p.body["socialSecurityAccountCode"]
		if f.Forms.OptionalFields {
			for _, k := range []string{"referencePeriod", "taxpayerIdentificationNumber", "endToEndIdentification", "requestedExecutionDate"} {
				if v, ok := p.body[k]; ok {
					out[k] = v
				}
			}
		}
	} else {
		for k, v := range p.body {
			out[k] = v
		}
		if f.Forms.OptionalFields {
			out["debtorAccount"] = debtor
		}
	}
	if f.Forms.OptionalFields {
		out["debtorName"] = "Empresa Exemplo, Lda"
		out["transactionFees"] = map[string]string{"currency": "EUR", "amount": "0.00"}
		out["transactionFeeIndicator"] = false
	}
	writeJSON(w, 200, out)
}

// cancel is the seed's "Cancel TSU Payment Request" (DELETE …/{payment-id}).
func (f *Fake) cancel(w http.ResponseWriter, r *http.Request, p *payment) {
	// Seed, Cancel TSU Payment Request, header TPP-Redirect-URI: "Shall be contained at least if
	// the tppRedirectPreferred parameter is set to true or is missing".
	if redirectRequired(r) {
		f.tpp(w, 400, codeRefused, "TPP-Redirect-URI is required unless TPP-Redirect-Preferred is false")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// Seed, TPP-Nok-Redirect-URI: "The same condition as for TPP-Redirect-URI on keeping the URI
	// equal during a transaction lifecycle applies".
	if uri := r.Header.Get("TPP-Redirect-URI"); uri != "" && p.redirect != "" && uri != p.redirect {
		f.tpp(w, 400, codeRefused, "TPP-Redirect-URI must stay equal during the transaction")
		return
	}
	// Only a payment not yet authorised can be withdrawn: the fake's bank executes at once.
	if p.status != "RCVD" && p.status != "PDNG" {
		f.tpp(w, 400, codeRefused, "payment is "+p.status)
		return
	}
	p.status = "CANC"
	if f.Forms.CancelNoContent {
		w.WriteHeader(204)
		return
	}
	writeJSON(w, 200, map[string]string{"transactionStatus": "CANC"})
}

// startAuth answers a POST to the startAuthorisation link ("No specific data is needed for this
// process start", seed TSUPaymentLink), which the fake offers only in the Forms that use it.
func (f *Fake) startAuth(w http.ResponseWriter, r *http.Request, p *payment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !p.startOffered:
		f.tpp(w, 400, "SCA_METHOD_UNKKNOWN", "no startAuthorisation link was given for this payment: follow the creation answer's links")
		return
	case p.status != "RCVD":
		f.tpp(w, 400, codeRefused, "payment is "+p.status)
		return
	}
	p.auth, p.authCreated, p.tries = uuid.NewString(), true, 0
	base := f.base(p)
	links := map[string]string{"scaStatus": base + "/authorisations/" + p.auth}
	out := map[string]any{"authorisationId": p.auth}
	if p.embedded {
		p.otpOffered, p.scaStatus = true, "scaMethodSelected"
		f.addChallenge(out)
		links["startAuthorisationWithTransactionAuthorisation"] = base + "/authorisations/" + p.auth + "/transaction-authorisation"
	} else {
		p.pageOffered, p.scaStatus = true, "started"
		links[f.redirectName()] = f.pageLink(r, p)
	}
	out["scaStatus"] = p.scaStatus
	out["_links"] = f.links(r, links)
	writeJSON(w, 201, out)
}

// scaStatusOf answers GET on the scaStatus link, "only contained, if an authorisation
// sub-resource has been already created" (seed TSUPaymentLink.scaStatus).
func (f *Fake) scaStatusOf(w http.ResponseWriter, p *payment, auth string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !p.authCreated || auth != p.auth {
		f.tpp(w, 404, "RESOURCE_UNIKNOWN", "no such authorisation")
		return
	}
	writeJSON(w, 200, map[string]string{"scaStatus": p.scaStatus})
}

// otp answers a POST of the one-time code to the startAuthorisationWithTransactionAuthorisation
// link, "where the authorisation sub-resource has to be generated while authorising the
// transaction e.g. by uploading an OTP received by SMS" (seed TSUPaymentLink). The body is the
// seed's update request ({scaAuthenticationData}); the answer its "Sends an update information"
// (required transactionStatus and _links).
func (f *Fake) otp(w http.ResponseWriter, r *http.Request, p *payment, auth string) {
	var in struct {
		PSUData               json.RawMessage `json:"psuData"`
		SCAAuthenticationData *string         `json:"scaAuthenticationData"`
		AuthenticationMethod  string          `json:"authenticationMethodId"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields() // seed: additionalProperties false
	if dec.Decode(&in) != nil || in.SCAAuthenticationData == nil {
		f.tpp(w, 400, codeRefused, "the body must be {\"scaAuthenticationData\": <the code>}")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !p.otpOffered || auth != p.auth:
		f.tpp(w, 404, "RESOURCE_UNIKNOWN", "no such authorisation")
		return
	case p.status != "RCVD":
		f.tpp(w, 400, codeRefused, "payment is "+p.status)
		return
	}
	p.authCreated = true
	base := f.base(p)
	links := f.links(r, map[string]string{"scaStatus": base + "/authorisations/" + p.auth, "status": base + "/status"})
	out := map[string]any{"_links": links}
	if *in.SCAAuthenticationData != OTP {
		p.tries++
		if p.tries < 3 {
			p.scaStatus = "scaMethodSelected"
			f.tpp(w, 401, codeUnauthorised, "wrong code")
			return
		}
		p.status, p.scaStatus = "RJCT", "failed"
	} else {
		p.status, p.scaStatus = f.accepted(), "finalised"
	}
	out["transactionStatus"] = p.status
	if !f.Forms.OTPWithoutScaStatus {
		out["scaStatus"] = p.scaStatus
	}
	writeJSON(w, 201, out)
}

func (f *Fake) accepted() string {
	if f.Forms.AcceptedStatus != "" {
		return f.Forms.AcceptedStatus
	}
	return "ACSC"
}

var scaTmpl = template.Must(template.New("sca").Parse(`<!doctype html><html lang="{{.L.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.L.Fill "sandbox.title" "name" "SIBS"}}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">{{.L.Fill "sandbox.bank" "bank" "SIBS"}}</span></header><main id="main" class="card">
{{if .Error}}<h1>{{.L.T "sandbox.cannot"}}</h1><p class="alert bad">{{.Error}}</p>{{else}}<h1>{{.L.T "sandbox.pay.heading"}}</h1><dl class="order"><dd class="amount">{{.L.Amount .Amount "EUR"}}</dd><dt>{{.L.T "order.reference"}}</dt><dd>{{.Label}}</dd></dl>
<form method="post" class="actions"><input type="hidden" name="payment" value="{{.ID}}"><input type="hidden" name="s" value="{{.Secret}}"><button class="btn" name="decision" value="approve" type="submit">{{.L.T "sandbox.approve"}}</button><button class="btn secondary" name="decision" value="deny" type="submit">{{.L.T "sandbox.deny"}}</button></form>{{end}}
</main></div></body></html>`))

func (f *Fake) sca(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	p := f.payments[r.Form.Get("payment")]
	if p == nil || !p.pageOffered || r.Form.Get("s") != p.page || p.status != "RCVD" || p.redirect == "" {
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(400)
		scaTmpl.Execute(w, map[string]any{"L": i18n.ForRequest(r), "Error": "No payment waiting for authorisation."})
		return
	}
	if r.Method == "POST" {
		to := p.redirect
		if r.PostForm.Get("decision") == "approve" {
			p.status, p.scaStatus = f.accepted(), "finalised"
		} else {
			p.status, p.scaStatus = "RJCT", "failed"
			if f.Forms.NokRedirect && p.nokRedirect != "" {
				to = p.nokRedirect
			} else if u, err := url.Parse(to); err == nil {
				q := u.Query()
				q.Set("error", "access_denied")
				u.RawQuery = q.Encode()
				to = u.String()
			}
		}
		f.mu.Unlock()
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	v := map[string]any{"L": i18n.ForRequest(r), "Amount": p.amount, "Label": p.label, "ID": p.id, "Secret": p.page}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	scaTmpl.Execute(w, v)
}
