package openpayments

import (
	"bytes"
	"encoding/json"
	"fmt"

	"paybybank/banks"
)

// The JSON shapes of the Open Payments NextGenPSD2 API that we send and read. They are
// exported so the fake in openpaymentstest speaks exactly the same wire format.

// Amount is instructedAmount: the amount is a decimal string, never a number.
type Amount struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// AccountReference is an account in one of the bank's formats.
type AccountReference struct {
	IBAN           string `json:"iban,omitempty"`
	BBAN           string `json:"bban,omitempty"`
	ClearingNumber string `json:"clearingNumber,omitempty"`
	Currency       string `json:"currency,omitempty"`
}

// PaymentInitiation is the body of POST /paymentinitiation/v1/payments/{product}.
type PaymentInitiation struct {
	InstructedAmount                  Amount            `json:"instructedAmount"`
	CreditorName                      string            `json:"creditorName"`
	CreditorAccount                   AccountReference  `json:"creditorAccount"`
	DebtorAccount                     *AccountReference `json:"debtorAccount,omitempty"`
	CreditorAddress                   *Address          `json:"creditorAddress,omitempty"`
	RemittanceInformationUnstructured string            `json:"remittanceInformationUnstructured,omitempty"`
}

// Link is a hypermedia link, read as `{"href": …}` or as a plain string (banks.Link).
type Link = banks.Link

// PaymentCreated is the answer to a payment initiation.
type PaymentCreated struct {
	PaymentID         string      `json:"paymentId"`
	TransactionStatus string      `json:"transactionStatus"`
	Links             banks.Links `json:"_links,omitempty"`
}

// SCAMethod is one authentication method a bank offers.
type SCAMethod struct {
	AuthenticationMethodID string `json:"authenticationMethodId"`
	AuthenticationType     string `json:"authenticationType"`
	Name                   string `json:"name,omitempty"`
}

// ChallengeData carries what the shopper's BankID needs: a QR payload or autostart token, or an image.
// An embedded OTP challenge (otpMaxLength, otpFormat) has neither, and is not read.
type ChallengeData struct {
	Data  Strings `json:"data,omitempty"`
	Image string  `json:"image,omitempty"`
}

// Strings is challengeData.data, read in both documented forms: the yaml's schema challengeData
// defines it as one string, the seed (step 4) reads challengeData.data[0] from an array.
type Strings []string

// UnmarshalJSON reads a string, an array of strings, or null.
func (s *Strings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return fmt.Errorf("challengeData.data: %w", err)
		}
		*s = Strings{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("challengeData.data: want a string or an array of strings: %w", err)
	}
	*s = list
	return nil
}

// Authorisation is the answer to starting, updating or reading a payment authorisation.
type Authorisation struct {
	AuthorisationID string `json:"authorisationId,omitempty"`
	SCAStatus       string `json:"scaStatus"`
	// SCATransactionStatus is how the yaml's own decoupled example
	// (updatePsuIdentificationResponseExample_Decoupled_payments) spells scaStatus; read where
	// scaStatus is absent.
	SCATransactionStatus string         `json:"scatransactionStatus,omitempty"`
	SCAMethods           []SCAMethod    `json:"scaMethods,omitempty"`
	ChallengeData        *ChallengeData `json:"challengeData,omitempty"`
	PSUMessage           string         `json:"psuMessage,omitempty"`
	Links                banks.Links    `json:"_links,omitempty"`
}

// Status is the authorisation's scaStatus, under either of its spellings.
func (a *Authorisation) Status() string {
	if a.SCAStatus != "" {
		return a.SCAStatus
	}
	return a.SCATransactionStatus
}

// SelectMethod is the body that picks the SCA method.
type SelectMethod struct {
	AuthenticationMethodID string `json:"authenticationMethodId"`
}

// TransactionStatus is the answer to GET …/status: a payment's transactionStatus, or a
// consent's consentStatus (yaml consentStatusResponse-200).
type TransactionStatus struct {
	TransactionStatus string `json:"transactionStatus"`
	ConsentStatus     string `json:"consentStatus,omitempty"`
	// SCAStatus is the latest authorisation's, which the yaml's extended example adds.
	SCAStatus string `json:"scaStatus,omitempty"`
}

// PaymentInformation is the answer to GET /paymentinitiation/v1/payments/{product}/{paymentId}
// (yaml getPaymentInformation, schema paymentInitiationWithStatusResponse): the initiation's body
// with an optional transactionStatus. Only what the connector reads is here: debtorAccount, which
// the schema requires but a bank that lets the shopper choose the account at the bank can only
// give once they have.
type PaymentInformation struct {
	DebtorAccount     *AccountReference `json:"debtorAccount,omitempty"`
	TransactionStatus string            `json:"transactionStatus,omitempty"`
}

// ASPSP is one bank in the bank list.
type ASPSP struct {
	ID      string `json:"id"`
	BICFI   string `json:"bicFi"`
	Name    string `json:"name"`
	LogoURL string `json:"logoUrl,omitempty"`
	Country string `json:"country,omitempty"`
}

// ASPSPList is the bank list. The published document's schema (aspspList) is a bare array,
// but its example, which is what the platform sends, wraps it as {"aspsps": [ … ]}: both are
// read.
type ASPSPList []ASPSP

// UnmarshalJSON reads the list bare or wrapped.
func (l *ASPSPList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var w struct {
			ASPSPs []ASPSP `json:"aspsps"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return fmt.Errorf("bank list: %w", err)
		}
		*l = w.ASPSPs
		return nil
	}
	var list []ASPSP
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("bank list: %w", err)
	}
	*l = list
	return nil
}

// TPPMessage is a Berlin Group error entry.
type TPPMessage struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Path     string `json:"path,omitempty"`
	Text     string `json:"text,omitempty"`
}

// Problem is the RFC 7807 error form; some endpoints answer tppMessages instead.
type Problem struct {
	Type             string       `json:"type,omitempty"`
	Title            string       `json:"title,omitempty"`
	Detail           string       `json:"detail,omitempty"`
	Code             string       `json:"code,omitempty"`
	Status           int          `json:"status,omitempty"`
	AdditionalErrors []Problem    `json:"additionalErrors,omitempty"`
	TPPMessages      []TPPMessage `json:"tppMessages,omitempty"`
}

// Token is the OAuth token endpoint's answer.
type Token struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope,omitempty"`
}

// Method ids of Swedish Mobile BankID.
const (
	MethodAnimatedQRToken = "mbid_animated_qr_token"
	MethodAnimatedQRImage = "mbid_animated_qr_image"
	MethodSameDevice      = "mbid_same_device"
	MethodLegacy          = "mbid"
)

// AccountDetails is one account in the account-information answer.
type AccountDetails struct {
	ResourceID string `json:"resourceId"`
	IBAN       string `json:"iban,omitempty"`
	BBAN       string `json:"bban,omitempty"`
	Currency   string `json:"currency"`
	Name       string `json:"name,omitempty"`
	Product    string `json:"product,omitempty"`
}

// Consent is the body of POST /consent/v1/consents.
type Consent struct {
	Access                   map[string]any `json:"access"`
	RecurringIndicator       bool           `json:"recurringIndicator"`
	ValidUntil               string         `json:"validUntil"`
	FrequencyPerDay          int            `json:"frequencyPerDay"`
	CombinedServiceIndicator bool           `json:"combinedServiceIndicator"`
}

// Address is a postal address, as creditorAddress.
type Address struct {
	StreetName string `json:"streetName,omitempty"`
	PostCode   string `json:"postCode,omitempty"`
	TownName   string `json:"townName"`
	Country    string `json:"country"`
}
