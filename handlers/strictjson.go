package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"paybybank/payment"
)

// decodeStrict decodes an API body into v, refusing what encoding/json lets through silently:
// unknown fields, trailing data, bytes that are not UTF-8 (it would turn them into U+FFFD) and an
// object key given twice (it would keep the last value, so {"amount":"1","amount":"1000"} reads as
// 1000 while a proxy, a log or the merchant's own code may have read 1).
func decodeStrict(body []byte, v any) error {
	if !utf8.Valid(body) {
		return &apiError{Status: 422, Code: "validation_error", Title: "Invalid request",
			Detail: fmt.Sprintf("the body is not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(body))}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return &payment.FieldError{Field: ute.Field, Message: "has the wrong type"}
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return &payment.FieldError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Message: "is not a known field"}
		}
		return &apiError{Status: 400, Code: "malformed_json", Title: "Malformed JSON", Detail: err.Error()}
	}
	// Only white space may follow the object. (dec.More alone let a stray "}" or "]" through:
	// found by FuzzDecodeStrict.)
	if _, err := dec.Token(); err != io.EOF {
		return &apiError{Status: 400, Code: "malformed_json", Title: "Malformed JSON", Detail: "trailing data after the JSON object"}
	}
	if key, err := duplicateKey(body); err != nil {
		return &apiError{Status: 400, Code: "malformed_json", Title: "Malformed JSON", Detail: err.Error()}
	} else if key != "" {
		return &payment.FieldError{Field: key, Message: "appears more than once in the same object"}
	}
	return nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// duplicateKey returns the first object key that appears twice in one object, as a dotted path
// ("creditor.iban"; array elements add "[]"), or "" when every key is unique. It is a hand-written
// scan over json.Decoder.Token because encoding/json has no option to refuse duplicate keys (it
// keeps the last value without a word) and the API must not read a different amount than a
// first-value-wins parser in front of it would.
func duplicateKey(body []byte) (string, error) {
	// One frame per open object or array. The path is built only when a repeat is found, from the
	// keys the open objects are in: building it for every frame cost time and memory quadratic in
	// the nesting depth.
	type frame struct {
		object    bool
		keys      map[string]bool // an object's keys so far
		expectKey bool            // an object's next token is a key (or its closing '}')
		key       string          // the key whose value comes, or came, last
	}
	var stack []*frame
	pathTo := func(key string) string {
		path := ""
		for _, f := range stack[:len(stack)-1] {
			if f.object {
				path = join(path, f.key)
			} else {
				path += "[]"
			}
		}
		return join(path, key)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("duplicate key scan: %w", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return "", nil
				}
				stack[len(stack)-1].expectKey = true
				continue
			}
			key, _ := tok.(string) // in key position the decoder yields strings or the closing '}'
			if top.keys[key] {
				return pathTo(key), nil
			}
			top.keys[key] = true
			top.expectKey, top.key = false, key
			continue
		}
		// A value: in an object (after its key), in an array, or at the top.
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, expectKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return "", nil
		}
		if t := stack[len(stack)-1]; t.object {
			t.expectKey = true
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
