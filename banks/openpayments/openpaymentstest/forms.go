package openpaymentstest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The documents cited below are the seed guide "Integrate to PIS" (/work/shared/seeds/000_00e0506f10c63506.txt,
// called "seed" here) and the Open Payments NextGenPSD2 1.3.3 OpenAPI document
// (/work/shared/reference/openpayments-NextGenPSD2-1.3.3.yaml, called "yaml" here).

// ErrorForm chooses the body of the fake's 4xx answers.
type ErrorForm int

// The error forms. Every 4xx response of the yaml (e.g. components.responses.BAD_REQUEST_400_PIS) offers both
// an application/json body with tppMessages (Error400_NG_PIS) and an application/problem+json body after
// RFC 7807 (Error400_PIS), so a client must read either on any call.
const (
	// ErrorsMixed answers tppMessages for request errors and problem+json for token errors, as the fake always has.
	ErrorsMixed ErrorForm = iota
	// ErrorsTPPMessages answers every 4xx as {"tppMessages": [{category, code, path, text}]}.
	ErrorsTPPMessages
	// ErrorsProblem answers every 4xx as application/problem+json {type, title, detail, code}.
	ErrorsProblem
)

// StartLinks chooses the links of the 201 answer to starting an authorisation.
type StartLinks string

// The link sets of the start-authorisation answer (yaml startPaymentAuthorisation, schema _linksStartScaProcess).
const (
	// StartLinksAuthoriseTransaction gives authoriseTransaction and scaStatus: the seed (step 3) reads
	// _links.authoriseTransaction.href and sends the method selection there.
	StartLinksAuthoriseTransaction StartLinks = ""
	// StartLinksSelectMethod gives selectAuthenticationMethod and scaStatus: the yaml's _linksStartScaProcess
	// says selectAuthenticationMethod is "contained under exactly the same conditions as the data element
	// 'scaMethods'".
	StartLinksSelectMethod StartLinks = "selectAuthenticationMethod"
	// StartLinksSCAStatusOnly gives scaStatus only, as the yaml's startScaProcessResponseExample1 does; the
	// client then selects the method on the authorisation resource itself (its scaStatus link).
	StartLinksSCAStatusOnly StartLinks = "scaStatus"
)

// Forms holds one switch per place where the documents allow more than one form of an answer. The zero value
// is the form the fake has always answered in, so tests written before the switches keep passing.
type Forms struct {
	// BankListWrapped answers GET /aspspinformation/v1/aspsps as {"aspsps": [...]} (the yaml's example in
	// components.responses.OK_200_ASPSPList) instead of the bare array its schema aspspList defines.
	BankListWrapped bool
	// AbsoluteLinks gives every _links href as a full URL instead of a path: the yaml's _linksPaymentInitiation
	// (and every other _links schema) says "All links can be relative or full links, to be decided by the ASPSP".
	// The base is the fake's BaseURL, or the request's host when BaseURL is empty.
	AbsoluteLinks bool
	// ChallengeDataString gives challengeData.data as one string, as the yaml's schema challengeData defines it
	// (type: string), instead of the array of strings the seed reads (step 4: challengeData.data[0]).
	ChallengeDataString bool
	// NoSCAApproachHeader leaves out the ASPSP-SCA-Approach response header: the seed (step 4) reads the
	// approach from it, but the yaml's components.headers.ASPSP-SCA-Approach is required: false; the approach
	// then shows only in the body (challengeData for DECOUPLED, _links.scaOAuth for REDIRECT). No document
	// carries the approach in a body field.
	NoSCAApproachHeader bool
	// SCAStatusOnly answers GET …/authorisations/{id} with {"scaStatus": …} only, the yaml's
	// components.responses.OK_200_ScaStatus (schema scaStatusResponse), without a refreshed challengeData or a
	// psuMessage; the client keeps the challenge it got when it selected the method.
	SCAStatusOnly bool
	// StartLinks chooses the links of the start-authorisation answer (see StartLinks).
	StartLinks StartLinks
	// StartWithPSUIdentification names the payment's and the consent's start link
	// startAuthorisationWithPsuIdentification, as the yaml's paymentInitiationExample_json_Decoupled and
	// consentResponseExample3_Decoupled do, instead of startAuthorisation (the other examples).
	StartWithPSUIdentification bool
	// CancelNeedsAuthorisation answers DELETE …/payments/{product}/{id} with 202 and a body
	// {transactionStatus, _links.startAuthorisation} (yaml cancelPayment, RECEIVED_202_PaymentInitiationCancel)
	// instead of 204: the cancellation then needs the PSU's authorisation and the payment is not cancelled yet.
	CancelNeedsAuthorisation bool
	// StatusWithSCAStatus adds the authorisation's scaStatus to the payment status answer, as the yaml's
	// paymentInitiationStatusResponse_json_Extended example does.
	StatusWithSCAStatus bool
	// Errors chooses the body of 4xx answers (see ErrorForm).
	Errors ErrorForm
}

// NamedForms is a combination of Forms under a name, for a connector test to run in.
type NamedForms struct {
	Name  string
	Forms Forms
}

// AllForms returns the combinations a connector's tests should run in: the default, each alternative alone,
// and all the yaml's forms together (every alternative appears at least once).
func AllForms() []NamedForms {
	return []NamedForms{
		{"default", Forms{}},
		{"bank-list-wrapped", Forms{BankListWrapped: true}},
		{"absolute-links", Forms{AbsoluteLinks: true}},
		{"challenge-data-string", Forms{ChallengeDataString: true}},
		{"no-sca-approach-header", Forms{NoSCAApproachHeader: true}},
		{"sca-status-only", Forms{SCAStatusOnly: true}},
		{"start-links-select-method", Forms{StartLinks: StartLinksSelectMethod}},
		{"start-links-sca-status-only", Forms{StartLinks: StartLinksSCAStatusOnly}},
		{"start-with-psu-identification", Forms{StartWithPSUIdentification: true}},
		{"cancel-needs-authorisation", Forms{CancelNeedsAuthorisation: true}},
		{"status-with-sca-status", Forms{StatusWithSCAStatus: true}},
		{"errors-tpp-messages", Forms{Errors: ErrorsTPPMessages}},
		{"errors-problem", Forms{Errors: ErrorsProblem}},
		{"yaml-forms", Forms{BankListWrapped: true, AbsoluteLinks: true, ChallengeDataString: true, NoSCAApproachHeader: true,
			SCAStatusOnly: true, StartLinks: StartLinksSCAStatusOnly, StartWithPSUIdentification: true, StatusWithSCAStatus: true,
			Errors: ErrorsProblem}},
	}
}

// link is a hyperlink in the hrefType form: every _links entry in the yaml is {"href": "…"} (schema hrefType);
// no document shows a link as a bare string.
type link struct {
	Href string `json:"href"`
}

// links builds a _links object from name/path pairs, relative or absolute as the Forms say.
func (f *Fake) links(r *http.Request, pairs ...string) map[string]link {
	out := map[string]link{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = link{Href: f.href(r, pairs[i+1])}
	}
	return out
}

func (f *Fake) href(r *http.Request, path string) string {
	if !f.Forms.AbsoluteLinks || strings.Contains(path, "://") {
		return path
	}
	base := strings.TrimRight(f.BaseURL, "/")
	if base == "" {
		base = "http://" + r.Host
	}
	return base + path
}

// tppMessage is one entry of the yaml's tppMessages (schema tppMessage400_PIS and its siblings).
type tppMessage struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Path     string `json:"path,omitempty"`
	Text     string `json:"text,omitempty"`
}

// problemBody is the yaml's RFC 7807 error (schema Error400_PIS and its siblings: type and code required).
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title,omitempty"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

// tppError answers in the Berlin Group tppMessages form (yaml Error400_NG_PIS), unless Forms.Errors says
// problem+json.
func (f *Fake) tppError(w http.ResponseWriter, status int, code, path, text string) {
	if f.Forms.Errors == ErrorsProblem {
		writeProblem(w, status, code, path+": "+text)
		return
	}
	writeTPP(w, status, code, path, text)
}

// problem answers in the RFC 7807 form (yaml Error401_PIS), unless Forms.Errors says tppMessages.
func (f *Fake) problem(w http.ResponseWriter, status int, code, detail string) {
	if f.Forms.Errors == ErrorsTPPMessages {
		writeTPP(w, status, code, "", detail)
		return
	}
	writeProblem(w, status, code, detail)
}

func writeTPP(w http.ResponseWriter, status int, code, path, text string) {
	writeJSON(w, status, map[string][]tppMessage{"tppMessages": {{Category: "ERROR", Code: code, Path: path, Text: text}}})
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problemBody{Type: "https://openpayments.io/errors/" + strings.ToLower(code),
		Title: http.StatusText(status), Detail: detail, Code: code})
}
