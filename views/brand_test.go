package views

import (
	"fmt"
	"testing"
)

func TestAccessibleAccent(t *testing.T) {
	for _, in := range []string{"#ffdd00", "#ffffff", "#00ff00", "#0a5c4a", "#e4007c", "#000000"} {
		out := AccessibleAccent(in)
		var r, g, b int
		fmt.Sscanf(out[1:], "%02x%02x%02x", &r, &g, &b)
		if c := ContrastWithWhite(r, g, b); c < 4.5 {
			t.Errorf("%s → %s has contrast %.2f", in, out, c)
		}
	}
	if AccessibleAccent("#0a5c4a") != "#0a5c4a" {
		t.Error("a colour with enough contrast must stay as it is")
	}
	for _, bad := range []string{"", "red", "#fff", "#gggggg", "#0a5c4a;}body{display:none"} {
		if AccessibleAccent(bad) != "" {
			t.Errorf("%q accepted", bad)
		}
	}
}
