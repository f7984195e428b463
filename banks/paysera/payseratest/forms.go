package payseratest

// The documents: "seed" is /work/shared/seeds/001_2dd6bf014a57fc1c.txt (Paysera's API request
// examples); "protocol" is /work/shared/protocols/berlin-group-banks.md, section "Paysera".

// BasePath is where the real API lives on its host: every URL in the seed starts with
// https://open-banking-api.paysera.com/xs2a/berlin/1.3. The fake serves under it when
// Forms.UnderBasePath is set.
const BasePath = "/xs2a/berlin/1.3"

// LinkStyle is how the fake writes the links to API resources (self, status) in a creation answer.
type LinkStyle string

// The link styles. The seed's only response example (Retrieve Account List) writes links such as
// "/v1/accounts/acc_123/balances": a path that starts at /v1, that is relative to the API base
// (…/xs2a/berlin/1.3), not to the host; Berlin Group writes absolute URLs.
const (
	// LinksNone gives no self or status link, only scaRedirect.
	LinksNone LinkStyle = ""
	// LinksAbsolute gives absolute URLs (https://host/…/v1/payments/…).
	LinksAbsolute LinkStyle = "absolute"
	// LinksBaseRelative gives paths relative to the API base, as the seed shows them (/v1/payments/…).
	LinksBaseRelative LinkStyle = "base-relative"
	// LinksHostRelative gives paths relative to the host, base included (/xs2a/berlin/1.3/v1/payments/…).
	LinksHostRelative LinkStyle = "host-relative"
)

// ExpiredTokenAnswer is what a call with an expired access token is answered with, always 401.
type ExpiredTokenAnswer string

// The expired-token answers. The seed (Utility Functions, ApiErrorHandler.handleError) only says
// "401: Unauthorized - Token expired or invalid": no error code, so a client must go by the status.
const (
	// ExpiredTokenInvalid is 401 with the Berlin Group code TOKEN_INVALID.
	ExpiredTokenInvalid ExpiredTokenAnswer = ""
	// ExpiredTokenExpired is 401 with the Berlin Group code TOKEN_EXPIRED.
	ExpiredTokenExpired ExpiredTokenAnswer = "TOKEN_EXPIRED"
	// ExpiredTokenBare is 401 with no body at all.
	ExpiredTokenBare ExpiredTokenAnswer = "bare"
)

// Forms chooses, wherever the documents allow more than one form of an answer, which one the fake
// gives. The zero value is the fake's historical answer. Set it before the fake serves requests.
type Forms struct {
	// LinksAsStrings writes every _links value as a plain string, as the seed does (Retrieve Account
	// List: "balances": "/v1/…"; Initiate Single Payment reads _links.scaRedirect with no .href),
	// instead of Berlin Group's {"href": …} (protocol: "read both").
	LinksAsStrings bool
	// APILinks adds self and status links to the creation answer, in the given style (protocol:
	// "follow the links the bank gives"; seed, Retrieve Account List, for the relative form).
	APILinks LinkStyle
	// UnderBasePath serves the API only under BasePath, as the real host does (seed: every URL);
	// the client's API URL must then end in BasePath.
	UnderBasePath bool
	// FlatErrors writes errors as {status, code, message} instead of tppMessages[{category, code,
	// text}]: the protocol's introduction allows both.
	FlatErrors bool
	// ExpiredToken is the answer to an expired access token (seed: ApiErrorHandler, 401 only).
	ExpiredToken ExpiredTokenAnswer
	// TokenScope adds "scope" to token answers: the seed's token exchange (Step 3) reads
	// response.data.scope, RFC 6749 §5.1 makes it optional.
	TokenScope bool
	// RefreshKeepsToken answers a refresh without a new refresh_token and keeps the old one valid
	// (RFC 6749 §6 allows it; the seed's Refreshing Access Tokens never shows the answer). The zero
	// value rotates: a new refresh_token each time and the used one is dead.
	RefreshKeepsToken bool
	// PaymentWithoutID leaves paymentId out of GET …/{id}: the seed's Check Payment Status reads
	// payment.paymentId, Berlin Group's payment resource has no such field.
	PaymentWithoutID bool
	// ExecutionDate adds expectedExecutionDate to GET …/{id}; the seed reads it as optional
	// (payment.expectedExecutionDate || 'N/A').
	ExecutionDate bool
	// ApprovedStatus is the transactionStatus of a payment the shopper approved ("" is ACSC). The
	// seed's Check Payment Status lists ACCP, ACSC, ACSP, ACTC, ACWC, ACWP as accepted states.
	ApprovedStatus string
	// DenyWithoutError sends a shopper who denied the payment back to TPP-Redirect-URI unchanged;
	// the zero value appends error=access_denied. The documents define no parameter on that return.
	DenyWithoutError bool
	// AbsoluteMetadata writes token_endpoint in the OAuth metadata as an absolute URL (RFC 8414 §2)
	// instead of the path /oauth/token; the protocol only says the metadata is there.
	AbsoluteMetadata bool
}

// NamedForms is one combination of Forms that connector tests should run in.
type NamedForms struct {
	// Name names the combination for a subtest.
	Name string
	// Forms is the combination.
	Forms Forms
}

// AllForms returns the combinations connector tests should run in: together they give every
// alternative of every field of Forms at least once. Combinations with UnderBasePath need the
// client's API URL to end in BasePath.
func AllForms() []NamedForms {
	return []NamedForms{
		{"Default", Forms{}},
		{"SeedShapes", Forms{LinksAsStrings: true, APILinks: LinksBaseRelative, UnderBasePath: true, TokenScope: true,
			ExecutionDate: true, ExpiredToken: ExpiredTokenBare, DenyWithoutError: true}},
		{"BerlinGroupShapes", Forms{APILinks: LinksAbsolute, UnderBasePath: true, FlatErrors: true,
			ExpiredToken: ExpiredTokenExpired, PaymentWithoutID: true, AbsoluteMetadata: true, ApprovedStatus: "ACSP"}},
		{"HostRelativeLinks", Forms{APILinks: LinksHostRelative, UnderBasePath: true, LinksAsStrings: true,
			RefreshKeepsToken: true, ApprovedStatus: "ACCP"}},
		{"TechnicallyValidated", Forms{ApprovedStatus: "ACTC", RefreshKeepsToken: true, FlatErrors: true}},
	}
}
