package views

import (
	"fmt"
	"math"
	"regexp"
)

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// ValidAccent reports whether s is a #rrggbb colour.
func ValidAccent(s string) bool { return hexColour.MatchString(s) }

// AccessibleAccent returns the merchant's accent colour darkened, if need be, until it has at
// least 4.5:1 contrast against white: it is used for links on white and behind white button
// text, and WCAG 2.2 AA asks 4.5:1 of both. An invalid colour gives "".
func AccessibleAccent(s string) string {
	if !ValidAccent(s) {
		return ""
	}
	var r, g, b int
	fmt.Sscanf(s[1:], "%02x%02x%02x", &r, &g, &b)
	for i := 0; i < 100 && ContrastWithWhite(r, g, b) < 4.5; i++ {
		r, g, b = r*92/100, g*92/100, b*92/100
	}
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

// ContrastWithWhite is the WCAG contrast ratio of an sRGB colour against white.
func ContrastWithWhite(r, g, b int) float64 {
	return 1.05 / (luminance(r, g, b) + 0.05)
}

func luminance(r, g, b int) float64 {
	lin := func(c int) float64 {
		v := float64(c) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}
