package handlers

import (
	"context"
	"strings"
	"testing"

	"paybybank/banks"
	"paybybank/checkout"
	"paybybank/i18n"
	"paybybank/views"
)

func render(t *testing.T, in pickerInput, c *bankLists) string {
	t.Helper()
	var b strings.Builder
	if err := c.draw(context.Background(), in, i18n.New(in.lang, "")).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A kept bank list is exactly the list drawn afresh, and any change of input draws anew.
func TestBankListsKeepExactlyWhatTheyDraw(t *testing.T) {
	seb := &banks.Bank{BIC: "ESSESESS", Name: "SEB", Country: "SE"}
	dnb := &banks.Bank{BIC: "DNBANOKK", Name: "DNB", Country: "NO"}
	in := pickerInput{lang: "en", home: "SE", list: checkout.BankList{Version: 1, Options: []checkout.BankOption{{Bank: seb, Available: true}, {Bank: dnb, Available: true}}}}
	fresh := func(in pickerInput) string {
		var b strings.Builder
		views.BankList(in.banks(i18n.New(in.lang, ""))).Render(context.Background(), &b)
		return b.String()
	}
	var c bankLists
	first := render(t, in, &c)
	if first != fresh(in) || render(t, in, &c) != first {
		t.Fatal("a kept list differs from a fresh one")
	}
	if len(c.drawn) != 1 {
		t.Fatalf("%d lists kept, want 1", len(c.drawn))
	}
	if strings.Index(first, "SEB") > strings.Index(first, "DNB") {
		t.Fatal("home country not first")
	}
	changes := map[string]func(in *pickerInput){
		"language":     func(in *pickerInput) { in.lang = "sv" },
		"home":         func(in *pickerInput) { in.home = "NO" },
		"last bank":    func(in *pickerInput) { in.last = "DNBANOKK" },
		"preselected":  func(in *pickerInput) { in.preselect = "DNBANOKK" },
		"country":      func(in *pickerInput) { in.country = "NO" },
		"availability": func(in *pickerInput) { in.list.Options[1].Available, in.list.Options[1].Reason = false, "currency" },
		"reference": func(in *pickerInput) {
			in.list.Options[0].Available, in.list.Options[0].Reason, in.list.Options[0].Limit = false, "reference", 35
		},
		"banks": func(in *pickerInput) {
			in.list.Version, in.list.Options[0].Bank = 2, &banks.Bank{BIC: "HANDSESS", Name: "Handelsbanken", Country: "SE"}
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			in2 := in
			in2.list.Options = append([]checkout.BankOption(nil), in.list.Options...)
			change(&in2)
			got := render(t, in2, &c)
			if got == first || got != fresh(in2) {
				t.Fatalf("a change of %s did not draw the list anew", name)
			}
		})
	}
	t.Run("SearchNotKept", func(t *testing.T) {
		n := len(c.drawn)
		in2 := in
		in2.query = "dnb"
		if got := render(t, in2, &c); strings.Contains(got, "SEB") || !strings.Contains(got, "DNB") || len(c.drawn) != n {
			t.Fatalf("search: kept %d→%d, %s", n, len(c.drawn), got)
		}
	})
}
