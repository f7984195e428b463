package openpaymentstest

import "encoding/json"

// The fake's own wire types, written from the yaml's schemas rather than shared with the connector, so that
// the fake checks the documents' shapes and not the connector's reading of them.

// accountRef is the yaml's accountReference / accountReferenceWithGiro (creditor and debtor accounts).
type accountRef struct {
	IBAN           string `json:"iban,omitempty"`
	BBAN           string `json:"bban,omitempty"`
	PAN            string `json:"pan,omitempty"`
	MaskedPAN      string `json:"maskedPan,omitempty"`
	MSISDN         string `json:"msisdn,omitempty"`
	BankgiroNumber string `json:"bankgiroNumber,omitempty"`
	PlusgiroNumber string `json:"plusgiroNumber,omitempty"`
	ClearingNumber string `json:"clearingNumber,omitempty"`
	Currency       string `json:"currency,omitempty"`
}

// amount is the yaml's amount: currency and amount, both required.
type amount struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// paymentBody is the yaml's paymentInitiation_json (and paymentInitiationSwedishGiro_json): every property the
// document defines is accepted; any other is refused.
type paymentBody struct {
	EndToEndIdentification            string          `json:"endToEndIdentification,omitempty"`
	DebtorAccount                     *accountRef     `json:"debtorAccount,omitempty"`
	InstructedAmount                  amount          `json:"instructedAmount"`
	CreditorAccount                   accountRef      `json:"creditorAccount"`
	CreditorAgent                     string          `json:"creditorAgent,omitempty"`
	CreditorAgentName                 string          `json:"creditorAgentName,omitempty"`
	CreditorName                      string          `json:"creditorName"`
	CreditorAddress                   json.RawMessage `json:"creditorAddress,omitempty"`
	RemittanceInformationUnstructured string          `json:"remittanceInformationUnstructured,omitempty"`
	RemittanceInformationStructured   json.RawMessage `json:"remittanceInformationStructured,omitempty"`
	RequestedExecutionDate            string          `json:"requestedExecutionDate,omitempty"`
	DebtorAccountMessage              string          `json:"debtorAccountMessage,omitempty"`
	CreditorAccountMessage            string          `json:"creditorAccountMessage,omitempty"`
}

// scaMethod is the yaml's authenticationObject.
type scaMethod struct {
	AuthenticationType     string `json:"authenticationType"`
	AuthenticationMethodID string `json:"authenticationMethodId"`
	Name                   string `json:"name,omitempty"`
}

// authorisationView is what the fake answers about an authorisation: the yaml's startScaprocessResponse,
// selectPsuAuthenticationMethodResponse and scaStatusResponse share these fields.
type authorisationView struct {
	AuthorisationID string          `json:"authorisationId,omitempty"`
	SCAStatus       string          `json:"scaStatus"`
	SCAMethods      []scaMethod     `json:"scaMethods,omitempty"`
	ChosenSCAMethod *scaMethod      `json:"chosenScaMethod,omitempty"`
	ChallengeData   map[string]any  `json:"challengeData,omitempty"`
	PSUMessage      string          `json:"psuMessage,omitempty"`
	Links           map[string]link `json:"_links,omitempty"`
}

// The Mobile BankID method ids the platform offers (protocols/openpayments.md, step 3; the seed's step 3 takes
// scaMethods[0] and calls it "mbid").
const (
	methodAnimatedQRToken = "mbid_animated_qr_token"
	methodAnimatedQRImage = "mbid_animated_qr_image"
	methodSameDevice      = "mbid_same_device"
	methodLegacy          = "mbid"
	methodOAuthRedirect   = "oauth_redirect"
)

// The token scopes: the yaml's securitySchemes.oAuth2 and each operation's security list
// ("paymentinitiation private", "paymentinitiation corporate", and so on); the seed asks for
// "paymentinitiation private".
const (
	scopePayments = "paymentinitiation"
	scopeBankList = "aspspinformation"
	scopeAccounts = "accountinformation"
)
