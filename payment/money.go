package payment

import (
	"fmt"
	"strconv"
	"strings"
)

// currencyExponents lists the ISO 4217 currencies we accept and their minor-unit exponents.
// It is hand-written rather than imported: golang.org/x/text/currency knows the codes but
// its exponent table is meant for display ("cash" vs "standard" rounding), and we need the
// exact number of decimals a bank will accept.
var currencyExponents = map[string]int{
	"SEK": 2, "NOK": 2, "DKK": 2, "EUR": 2, "ISK": 0, "GBP": 2, "USD": 2, "CHF": 2,
	"PLN": 2, "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "JPY": 0, "CAD": 2, "AUD": 2,
}

// CurrencyExponent reports the number of decimals of currency, and whether it is known.
func CurrencyExponent(currency string) (int, bool) {
	e, ok := currencyExponents[currency]
	return e, ok
}

// MaxMinorUnits bounds an amount so that it fits every bank's amount pattern
// (at most nine integer digits) and never overflows int64.
const MaxMinorUnits = 999_999_999_99

// ParseAmount parses a decimal string such as "249.00" into integer minor units of currency.
// It refuses signs, exponents, more decimals than the currency has, and zero.
func ParseAmount(s, currency string) (int64, error) {
	exp, ok := CurrencyExponent(currency)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", currency)
	}
	if s == "" {
		return 0, fmt.Errorf("amount is empty")
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, fmt.Errorf("amount %q is not a decimal number like \"249.00\"", s)
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return 0, fmt.Errorf("amount %q has a leading zero", s)
	}
	if len(frac) > exp {
		return 0, fmt.Errorf("amount %q has more than %d decimals for %s", s, exp, currency)
	}
	if len(intPart) > 12 {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if n <= 0 {
		return 0, fmt.Errorf("amount must be greater than zero")
	}
	if n > MaxMinorUnits {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	return n, nil
}

// FormatAmount renders minor units of currency as a plain decimal string ("249.00"),
// the form banks and our API use.
func FormatAmount(minor int64, currency string) string {
	exp, _ := CurrencyExponent(currency)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
