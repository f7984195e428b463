package handlers

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeStrict throws arbitrary bodies at the API's JSON decoding. It must never panic; what
// it accepts must be valid UTF-8 and valid JSON without a repeated key in any object; and the
// duplicate-key scan must accept everything encoding/json finds valid (it reports, never fails).
func FuzzDecodeStrict(f *testing.F) {
	f.Add([]byte(`{"amount":"249.00","currency":"SEK","reference":"Order 1"}`))
	f.Add([]byte(`{"amount":"1.00","amount":"1000.00"}`))
	f.Add([]byte(`{"creditor":{"iban":"x","iban":"y"},"metadata":{"a":"1"}}`))
	f.Add([]byte(`{"metadata":{"a":"1","b":[{"c":1},{"c":2}]}}`))
	f.Add([]byte("{\"reference\":\"\xff\"}"))
	f.Add([]byte(`{"a\u0062":1,"ab":2}`))
	f.Add([]byte(`[1,{"a":[]},{"a":{}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if json.Valid(body) {
			if _, err := duplicateKey(body); err != nil {
				t.Fatalf("duplicateKey(%q) failed on valid JSON: %v", body, err)
			}
		}
		var v struct {
			Amount    json.RawMessage   `json:"amount"`
			Reference string            `json:"reference"`
			Metadata  map[string]string `json:"metadata"`
			Creditor  *struct {
				IBAN string `json:"iban"`
			} `json:"creditor"`
		}
		if decodeStrict(body, &v) != nil {
			return
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("accepted %q: not valid UTF-8 JSON", body)
		}
		if key, _ := duplicateKey(body); key != "" {
			t.Fatalf("accepted %q with %s repeated", body, key)
		}
	})
}
