package handlers

import (
	"encoding/json"
	"net/http"
)

// Post/redirect/get: every shopper-facing POST answers 303 to a GET, its errors included, so that
// Back and Reload never ask to send a form again. An error a POST meets travels to the page it
// redirects to as a one-time flash in the shopper's session (or as the payment's own state, such
// as an attempt's end, which the page reads itself).

// flashKey is the session value holding the checkout's flash (the workspace has its own).
const flashKey = "checkout_flash"

// flash is what a POST leaves for the next GET of one payment's pages: a message key, and for a
// form the field in error, the validation message and the values typed, drawn once.
type flash struct {
	Token   string            `json:"t"`
	Key     string            `json:"k"`
	Field   string            `json:"f,omitempty"`
	Message string            `json:"m,omitempty"`
	Code    string            `json:"c,omitempty"`
	Args    map[string]string `json:"a,omitempty"`
	Values  map[string]string `json:"v,omitempty"`
}

// redirectWithFlash keeps f for the next page of the payment whose checkout token is token, and
// answers 303 to to.
func (s *Server) redirectWithFlash(w http.ResponseWriter, r *http.Request, token, to string, f flash) error {
	f.Token = token
	sess, _ := s.sessions.Get(r, sessionName)
	raw, _ := json.Marshal(f)
	sess.Values[flashKey] = string(raw)
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// takeFlash returns the flash left for this payment's page and forgets it (saving the session);
// ok is false when there is none.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request, token string) (flash, bool) {
	sess, _ := s.sessions.Get(r, sessionName)
	raw, _ := sess.Values[flashKey].(string)
	if raw == "" {
		return flash{}, false
	}
	var f flash
	if json.Unmarshal([]byte(raw), &f) != nil || f.Token != token {
		return flash{}, false // another payment's: it waits for that payment's page
	}
	delete(sess.Values, flashKey)
	sess.Save(r, w)
	return f, true
}
