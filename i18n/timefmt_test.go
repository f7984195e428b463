package i18n

import (
	"testing"
	"time"
)

func TestZoneAndClock(t *testing.T) {
	at := time.Date(2030, 7, 1, 4, 43, 0, 0, time.UTC)
	now := at.Add(-10 * time.Minute)
	l := New("sv", "")
	tests := []struct{ browser, country, want string }{
		{"", "SE", "06:43 CEST"},
		{"", "FI", "07:43 EEST"},
		{"", "PT", "05:43 WEST"},
		{"Europe/Oslo", "FI", "06:43 CEST"},     // the browser's zone wins
		{"America/New_York", "SE", "00:43 EDT"}, // a shopper abroad
		{"Asia/Tokyo", "SE", "13:43 JST"},
		{"Local", "SE", "06:43 CEST"}, // never the server's own zone
		{"../../etc/passwd", "NO", "06:43 CEST"},
		{"", "", "04:43 UTC"},
	}
	for _, tt := range tests {
		if got := l.Clock(at, now, Zone(tt.browser, tt.country)); got != tt.want {
			t.Errorf("Clock in %q/%q = %q, want %q", tt.browser, tt.country, got, tt.want)
		}
	}
	// Another day in the shopper's zone shows the date.
	if got := l.Clock(at, at.Add(-time.Hour), Zone("America/New_York", "")); got != "2030-07-01 00:43 EDT" {
		t.Errorf("past midnight in New York: %q", got)
	}
}

func TestRemaining(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Minute: "15:00", 14*time.Minute + 59*time.Second + 400*time.Millisecond: "15:00",
		59 * time.Second: "0:59", 0: "0:00", -time.Minute: "0:00", 62*time.Minute + 3*time.Second: "1:02:03",
	} {
		if got := Remaining(d); got != want {
			t.Errorf("Remaining(%v) = %q, want %q", d, got, want)
		}
	}
}
