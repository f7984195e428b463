package app

import (
	"paybybank/banks"
	"paybybank/banks/openpayments"
	"paybybank/banks/paysera"
	"paybybank/banks/powens"
	"paybybank/banks/sbm"
	"paybybank/banks/sibs"
)

// Providers are the providers the server knows, one line each: their flags and variables, the
// sandbox's fakes, the inbound webhook routes and the "no provider" message all come from this
// list. The order breaks ties in the merged bank list.
var Providers = []banks.Registration{
	openpayments.Registration,
	paysera.Registration,
	sibs.Registration,
	sbm.Registration,
	powens.Registration,
}
