package handlers

import (
	"errors"
	"testing"

	"paybybank/payment"
)

func TestDuplicateKey(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{`{"amount":"1","currency":"SEK"}`, ""},
		{`{"amount":"1","amount":"1000"}`, "amount"},
		{`{"a":{"b":1,"c":2},"d":{"b":1}}`, ""}, // the same key in two objects
		{`{"creditor":{"iban":"x","name":"y","iban":"z"}}`, "creditor.iban"},
		{`{"list":[{"k":1},{"k":2}]}`, ""},
		{`{"list":[{"k":1,"k":2}]}`, "list[].k"},
		{`{"a":[[],{}],"b":{"c":[1,{"d":1}]},"a":1}`, "a"}, // after nested arrays and objects
		{`{"x":{},"y":{"x":1},"z":[{"q":{"r":1,"r":2}}]}`, "z[].q.r"},
		{`{}`, ""},
		{`{"a\u0062":1,"ab":2}`, "ab"}, // keys compared after unescaping
	} {
		got, err := duplicateKey([]byte(tc.body))
		if err != nil || got != tc.want {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", tc.body, got, err, tc.want)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	type body struct {
		Amount string            `json:"amount"`
		Meta   map[string]string `json:"meta"`
	}
	for _, tc := range []struct {
		name, body string
		status     int // 0: accepted
		field      string
	}{
		{"valid", `{"amount":"1.00","meta":{"a":"å"}}`, 0, ""},
		{"duplicate key", `{"amount":"1.00","amount":"9.00"}`, 422, "amount"},
		{"duplicate map key", `{"meta":{"a":"1","a":"2"}}`, 422, "meta.a"},
		{"invalid UTF-8 in a string", "{\"amount\":\"1\xff\"}", 422, ""},
		{"invalid UTF-8 in a key", "{\"meta\":{\"\xc3\x28\":\"1\"}}", 422, ""},
		{"unknown field", `{"amount":"1","x":1}`, 422, "x"},
		{"malformed", `{"amount":`, 400, ""},
		{"trailing data", `{"amount":"1"} {}`, 400, ""},
		{"trailing brace", `{"amount":"1"}}`, 400, ""},
		{"trailing bracket", `{"amount":"1"} ]`, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v body
			err := decodeStrict([]byte(tc.body), &v)
			if tc.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ae := toAPIError(err)
			var fe *payment.FieldError
			if ae.Status != tc.status || (tc.status == 422 && ae.Code != "validation_error") || (tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field)) {
				t.Fatalf("got %v (%d %s), want %d field %q", err, ae.Status, ae.Code, tc.status, tc.field)
			}
		})
	}
}
