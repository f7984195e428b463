package i18n

import (
	"strconv"
	"strings"
	"time"

	// The zones travel in the binary: a shopper's zone resolves on a server without a zone
	// database (a scratch container) as on any other.
	_ "time/tzdata"
)

// countryZones is the time zone of each country we take payments in, for a shopper whose
// browser has not told us its own.
var countryZones = map[string]string{
	"SE": "Europe/Stockholm", "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki",
	"LT": "Europe/Vilnius", "FR": "Europe/Paris", "PT": "Europe/Lisbon", "DE": "Europe/Berlin",
	"EE": "Europe/Tallinn", "LV": "Europe/Riga", "PL": "Europe/Warsaw", "NL": "Europe/Amsterdam",
	"BE": "Europe/Brussels", "ES": "Europe/Madrid", "IT": "Europe/Rome", "AT": "Europe/Vienna",
	"IE": "Europe/Dublin", "GB": "Europe/London", "IS": "Atlantic/Reykjavik", "LU": "Europe/Luxembourg",
	"CH": "Europe/Zurich",
}

// Zone is the shopper's time zone: browser, the IANA name their browser reported, when it is
// one; else the zone of country (ISO 3166 alpha-2); else UTC.
func Zone(browser, country string) *time.Location {
	if validZoneName(browser) {
		if loc, err := time.LoadLocation(browser); err == nil {
			return loc
		}
	}
	if name := countryZones[country]; name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// validZoneName keeps what a browser sends to names of the zone database ("Europe/Oslo",
// "America/Argentina/Buenos_Aires", "UTC"): never a path, never "Local" (the server's own zone).
func validZoneName(name string) bool {
	if name == "" || len(name) > 64 || name == "Local" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return false
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+-", r)) {
			return false
		}
	}
	return true
}

// Clock writes a point in time as the shopper reads it in their zone: "14:43 CET" on the day of
// now, with the date in front on another day ("2025-12-07 14:43 CET"). 24-hour time in every
// language, and the zone's name, so a shopper abroad is never misled.
func (l *Localizer) Clock(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04 MST")
	}
	return t.Format("2006-01-02 15:04 MST")
}

// Remaining writes a duration left as a clock counts down: "14:32", "1:02:03", never negative.
func Remaining(d time.Duration) string {
	s := int64(d / time.Second)
	if d > 0 && d%time.Second != 0 {
		s++ // 14:59.4 left reads 15:00 until it is 14:59
	}
	if s < 0 {
		s = 0
	}
	h, m, sec := s/3600, s/60%60, s%60
	two := func(n int64) string {
		if n < 10 {
			return "0" + strconv.FormatInt(n, 10)
		}
		return strconv.FormatInt(n, 10)
	}
	if h > 0 {
		return strconv.FormatInt(h, 10) + ":" + two(m) + ":" + two(sec)
	}
	return strconv.FormatInt(m, 10) + ":" + two(sec)
}
