package banks_test

import (
	"testing"

	"paybybank/banks"
)

func TestRegistrationNames(t *testing.T) {
	r := banks.Registration{Name: "paysera", EnabledBy: "client-id",
		Settings: []banks.Setting{{Name: "client-id"}, {Name: "authorize-url"}}}
	tests := []struct {
		setting, flag, env string
	}{
		{"client-id", "paysera-client-id", "PAYBYBANK_PAYSERA_CLIENT_ID"},
		{"authorize-url", "paysera-authorize-url", "PAYBYBANK_PAYSERA_AUTHORIZE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.setting, func(t *testing.T) {
			s := banks.Setting{Name: tt.setting}
			if got := r.Flag(s); got != tt.flag {
				t.Errorf("Flag = %q, want %q", got, tt.flag)
			}
			if got := r.Env(s); got != tt.env {
				t.Errorf("Env = %q, want %q", got, tt.env)
			}
		})
	}
	enabled := []struct {
		name string
		s    banks.Settings
		want bool
	}{
		{"Set", banks.Settings{"client-id": "x"}, true},
		{"Empty", banks.Settings{"client-id": ""}, false},
		{"OtherSetting", banks.Settings{"authorize-url": "https://x"}, false},
		{"Nil", nil, false},
	}
	for _, tt := range enabled {
		t.Run("Enabled"+tt.name, func(t *testing.T) {
			if got := r.Enabled(tt.s); got != tt.want {
				t.Fatalf("Enabled(%v) = %v", tt.s, got)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	build := func(banks.Settings, banks.Deps) (banks.Provider, error) { return nil, nil }
	ok := banks.Registration{Name: "a", Build: build, EnabledBy: "id", Settings: []banks.Setting{{Name: "id"}}}
	tests := []struct {
		name string
		list []banks.Registration
		ok   bool
	}{
		{"OK", []banks.Registration{ok, {Name: "b", Build: build}}, true},
		{"ErrNoName", []banks.Registration{{Build: build}}, false},
		{"ErrTwice", []banks.Registration{ok, ok}, false},
		{"ErrNoBuild", []banks.Registration{{Name: "a"}}, false},
		{"ErrEnabledByUnknown", []banks.Registration{{Name: "a", Build: build, EnabledBy: "id"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := banks.Check(tt.list); (err == nil) != tt.ok {
				t.Fatalf("Check = %v", err)
			}
		})
	}
}
