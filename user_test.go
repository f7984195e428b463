package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// `paybybank user add` prints a one-time link whose token the store knows for that person, and
// refuses an e-mail address already taken. What a person then does with the link is walked in
// e2e (workspace_people_test.go).
func TestUserAddCommand(t *testing.T) {
	h := e2etest.New(t)
	var out bytes.Buffer
	if err := userAdd([]string{"--db", h.DBPath, "--public-url", h.Srv.URL, "--merchant", h.Merchant.ID, "--email", "Ann@Example.com", "--role", "owner"}, &out); err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`http\S+/merchant/password/(\S+)`).FindStringSubmatch(out.String())
	if link == nil || !strings.HasPrefix(link[0], h.Srv.URL) {
		t.Fatalf("user add printed no link on the public URL:\n%s", out.String())
	}
	u, err := h.DB.PasswordTokenUser(t.Context(), link[1])
	if err != nil || u.Email != "ann@example.com" || string(u.Role) != "owner" {
		t.Fatalf("the link's token: %+v %v", u, err)
	}
	if err := userAdd([]string{"--db", h.DBPath, "--merchant", h.Merchant.ID, "--email", "ann@example.com", "--role", "viewer"}, io.Discard); err == nil {
		t.Fatal("the same e-mail added twice")
	}
	if err := userAdd([]string{"--db", h.DBPath, "--merchant", h.Merchant.ID, "--email", "bo@example.com", "--role", "admin"}, io.Discard); err == nil {
		t.Fatal("an unknown role accepted")
	}
}
