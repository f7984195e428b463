package sibs_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"paybybank/banks/sibs"
)

// TestAnswerLinks decodes a creation's answer in each link form the seed and Berlin Group allow
// through the connector's wire type (the documents hold no example bodies: testdata/README.md).
func TestAnswerLinks(t *testing.T) {
	const otp = "/BOTP/v1-0-4/payments/sepa-credit-transfers/p1/authorisations/a1/transaction-authorisation"
	for name, body := range map[string]string{
		"string":   `{"transactionStatus":"RCVD","paymentId":"p1","_links":{"startAuthorisationWithTransactionAuthorisation":"` + otp + `"}}`,
		"href":     `{"transactionStatus":"RCVD","paymentId":"p1","_links":{"startAuthorisationWithTransactionAuthorisation":{"href":"` + otp + `"}}}`,
		"absolute": `{"transactionStatus":"RCVD","paymentId":"p1","_links":{"startAuthorisationWithTransactionAuthorisation":"https://api.sibs.example` + otp + `"}}`,
		"null":     `{"transactionStatus":"RCVD","paymentId":"p1","_links":{"startAuthorisationWithTransactionAuthorisation":"` + otp + `","self":null}}`,
	} {
		var a sibs.Answer
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if href := a.Links.Href("startAuthorisationWithTransactionAuthorisation"); !regexp.MustCompile(`^(https://api\.sibs\.example)?` + regexp.QuoteMeta(otp) + `$`).MatchString(href) {
			t.Errorf("%s: link %q", name, href)
		}
	}
}
