// Package e2e holds the end-to-end tests: the whole server over real HTTP with the sandbox banks
// (e2etest.New), each provider's journeys, crashes and failures, and the browser tests in Chromium.
package e2e

import (
	"testing"

	"paybybank/internal/e2etest"
)

func TestMain(m *testing.M) { e2etest.Main(m) }
