package payment

import (
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"249.00", "SEK", 24900, true}, {"249", "SEK", 24900, true}, {"249.5", "SEK", 24950, true},
		{"0.01", "EUR", 1, true}, {"1500", "ISK", 1500, true}, {"999999999.99", "SEK", 99999999999, true},
		{"12.345", "SEK", 0, false}, {"1.5", "ISK", 0, false}, {"0", "SEK", 0, false}, {"0.00", "SEK", 0, false},
		{"-1.00", "SEK", 0, false}, {"+1.00", "SEK", 0, false}, {"1e3", "SEK", 0, false}, {"1.", "SEK", 0, false},
		{".5", "SEK", 0, false}, {"01.00", "SEK", 0, false}, {"1,00", "SEK", 0, false}, {" 1.00", "SEK", 0, false},
		{"1000000000.00", "SEK", 0, false}, {"1.00", "XXX", 0, false}, {"", "SEK", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in, tt.cur)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAmount(%q, %s) = %d, %v", tt.in, tt.cur, got, err)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tt := range []struct {
		minor int64
		cur   string
		want  string
	}{{24900, "SEK", "249.00"}, {1, "EUR", "0.01"}, {5, "SEK", "0.05"}, {1500, "ISK", "1500"}, {100, "NOK", "1.00"}} {
		if got := FormatAmount(tt.minor, tt.cur); got != tt.want {
			t.Errorf("FormatAmount(%d, %s) = %s, want %s", tt.minor, tt.cur, got, tt.want)
		}
	}
}

func FuzzAmount(f *testing.F) {
	for _, s := range []string{"249.00", "0.01", "12.345", "1e3", "-1", "999999999.99"} {
		f.Add(s, "SEK")
	}
	f.Add("1500", "ISK")
	f.Fuzz(func(t *testing.T, s, cur string) {
		minor, err := ParseAmount(s, cur)
		if err != nil {
			return
		}
		if minor <= 0 || minor > MaxMinorUnits {
			t.Fatalf("ParseAmount(%q) = %d out of range", s, minor)
		}
		back, err := ParseAmount(FormatAmount(minor, cur), cur)
		if err != nil || back != minor {
			t.Fatalf("round trip of %q: %d → %q → %d, %v", s, minor, FormatAmount(minor, cur), back, err)
		}
	})
}

func TestValidateIBAN(t *testing.T) {
	for _, s := range []string{"SE7160000000000123456789", "NO9386011117947", "DK5000400440116243", "FI2112345600000785", "LT121000011101001000", "FR1420041010050500013M02606", "PT50000201231234567890154"} {
		if err := ValidateIBAN(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"SE7160000000000123456780", "SE716000000000012345678", "XX7160000000000123456789", "SE71600000000001234567-9", "", "SE"} {
		if err := ValidateIBAN(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}

func FuzzIBAN(f *testing.F) {
	for _, s := range []string{"SE7160000000000123456789", "NO9386011117947", "se71 6000 0000 0001 2345 6789", "SE00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeIBAN(s)
		if ValidateIBAN(n) == nil {
			if len(n) < 15 || len(n) > 34 || ValidateIBAN(NormalizeIBAN(n)) != nil {
				t.Fatalf("inconsistent verdict for %q", s)
			}
		}
	})
}

func TestValidBIC(t *testing.T) {
	for _, s := range []string{"HANDSESS", "ESSESESS", "NDEAFIHH", "DABADKKK", "HANDSESSXXX"} {
		if !ValidBIC(s) {
			t.Errorf("%s refused", s)
		}
	}
	for _, s := range []string{"", "HANDSES", "handsess", "HANDSE1S", "HANDSESO", "HANDSESSXX"} {
		if ValidBIC(s) {
			t.Errorf("%s accepted", s)
		}
	}
}

func TestLifecycle(t *testing.T) {
	ok := [][2]Status{{StatusOpen, StatusAuthorising}, {StatusAuthorising, StatusProcessing}, {StatusProcessing, StatusCompleted},
		{StatusAuthorising, StatusFailed}, {StatusOpen, StatusExpired}, {StatusAuthorising, StatusCancelled}}
	for _, tr := range ok {
		if !CanTransition(tr[0], tr[1]) {
			t.Errorf("%s → %s refused", tr[0], tr[1])
		}
	}
	for _, from := range []Status{StatusCompleted, StatusFailed, StatusCancelled, StatusExpired} {
		for _, to := range []Status{StatusOpen, StatusAuthorising, StatusProcessing, StatusCompleted, StatusFailed, StatusCancelled, StatusExpired} {
			if CanTransition(from, to) {
				t.Errorf("terminal %s → %s allowed", from, to)
			}
		}
	}
	if CanTransition(StatusProcessing, StatusExpired) || CanTransition(StatusOpen, StatusProcessing) || CanTransition(StatusOpen, StatusOpen) {
		t.Error("processing must not expire; open moves on only through SCA")
	}
	// An attempt that ended without success sends the payment back to the bank choice.
	if !CanTransition(StatusAuthorising, StatusOpen) || !CanTransition(StatusProcessing, StatusOpen) {
		t.Error("an ended attempt must reopen the payment")
	}
	p := Payment{Status: StatusAuthorising, ExpiresAt: time.Unix(100, 0)}
	if !p.Expired(time.Unix(100, 0)) || p.Expired(time.Unix(99, 0)) {
		t.Error("Expired")
	}
}

func TestBankOutcome(t *testing.T) {
	for code, want := range map[string]Status{"ACSC": StatusCompleted, "ACCC": StatusCompleted, "ACCP": StatusCompleted,
		"RJCT": StatusFailed, "CANC": StatusCancelled, "RCVD": "", "PDNG": "", "PATC": "", "PART": "",
		"ACTC": StatusProcessing, "ACSP": StatusProcessing, "ACWC": StatusProcessing, "ACWP": StatusProcessing} {
		if got, _ := BankOutcome(code); got != want {
			t.Errorf("%s → %q, want %q", code, got, want)
		}
	}
	if _, accepted := BankOutcome("ACCP"); !accepted {
		t.Error("ACCP must carry the accepted flag")
	}
}

func TestAllowsReturnURL(t *testing.T) {
	m := Merchant{AllowedOrigins: []string{"https://shop.example", "http://localhost:8080"}}
	for u, want := range map[string]bool{
		"https://shop.example/thanks?x=1": true, "http://localhost:8080/demo/return": true,
		"https://shop.example.evil.com/": false, "https://evil.example/": false, "javascript:alert(1)": false,
		"//shop.example/": false, "https://user@shop.example/": false, "http://shop.example/": false,
	} {
		if got := m.AllowsReturnURL(u); got != want {
			t.Errorf("%s: %v", u, got)
		}
	}
}

func TestIdentityCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   Identity
		ok   bool
	}{
		{"OK", Identity{Scheme: "siren", ID: "552100554", LegalStatus: "SAS"}, true},
		{"another register", Identity{Scheme: "orgnr", ID: "556036-0793", LegalStatus: "AB"}, true},
		{"no legal status", Identity{Scheme: "siren", ID: "552100554"}, false},
		{"no id", Identity{Scheme: "siren", LegalStatus: "SAS"}, false},
		{"short SIREN", Identity{Scheme: "siren", ID: "55210055", LegalStatus: "SAS"}, false},
		{"SIREN with letters", Identity{Scheme: "siren", ID: "55210055A", LegalStatus: "SAS"}, false},
		{"upper-case scheme", Identity{Scheme: "SIREN", ID: "552100554", LegalStatus: "SAS"}, false},
	} {
		if err := tc.id.Check(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
