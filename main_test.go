package main

import (
	"testing"

	"paybybank/internal/e2etest"
)

// TestMain closes the browser the cluster and workspace tests share once they are done.
func TestMain(m *testing.M) { e2etest.Main(m) }
