package handlers

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"

	"paybybank/store"
	"paybybank/views"
)

// securityPage is the person's own sign-in settings: the second factor and "sign out everywhere".
func (s *Server) securityPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	return s.renderSecurity(w, r, c, http.StatusOK, "", "")
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, c *wsRequest, status int, secret, problem string) error {
	d := views.WorkspaceSecurity{Workspace: s.shell(w, r, c, "security", c.L.T("ws.nav.security")), TOTP: c.User.TOTP}
	if problem != "" {
		d.Problem = problem
	}
	if secret != "" {
		// otpauth://totp/Issuer:account?secret=…&issuer=… is what authenticator apps read
		// (Google's Key Uri Format); the defaults (SHA-1, 6 digits, 30 s) are spelled out.
		label := url.PathEscape("paybybank:" + c.User.Email)
		uri := "otpauth://totp/" + label + "?" + url.Values{"secret": {secret}, "issuer": {"paybybank"},
			"algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}.Encode()
		png, err := QRPNG(uri)
		if err != nil {
			return err
		}
		d.Setup, d.Secret, d.URI = true, secret, uri
		d.QR = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	}
	s.render(w, r, status, views.WorkspaceSecurityPage(d))
	return nil
}

// startTOTP makes a secret and shows it, to be confirmed with a code from the app. The secret
// waits in the session until then.
func (s *Server) startTOTP(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	secret := store.NewTOTPSecret()
	c.sess.Values["totp_setup"] = secret
	if err := c.sess.Save(r, w); err != nil {
		return err
	}
	return s.renderSecurity(w, r, c, http.StatusOK, secret, "")
}

// confirmTOTP turns the second factor on once the code from the app matches the secret.
func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	secret, _ := c.sess.Values["totp_setup"].(string)
	if secret == "" {
		http.Redirect(w, r, "/merchant/security", http.StatusSeeOther)
		return nil
	}
	err := s.store.EnableTOTP(r.Context(), c.User.ID, secret, r.PostFormValue("code"))
	if errors.Is(err, store.ErrBadCredentials) {
		return s.renderSecurity(w, r, c, http.StatusUnprocessableEntity, secret, c.L.T("ws.totp.wrong"))
	} else if err != nil {
		return err
	}
	delete(c.sess.Values, "totp_setup")
	s.audit(r, c, "totp.on", c.User.Email, "")
	c.flash(w, r, "ok", c.L.T("ws.totp.on"))
	http.Redirect(w, r, "/merchant/security", http.StatusSeeOther)
	return nil
}

// disableTOTP turns the second factor off; it takes a current code, so a session left open on
// someone else's screen cannot do it.
func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	err := s.store.UseTOTP(r.Context(), c.User.ID, r.PostFormValue("code"))
	if errors.Is(err, store.ErrBadCredentials) {
		return s.renderSecurity(w, r, c, http.StatusUnprocessableEntity, "", c.L.T("ws.totp.wrong"))
	} else if err != nil {
		return err
	}
	if err := s.store.DisableTOTP(r.Context(), c.User.ID); err != nil {
		return err
	}
	s.audit(r, c, "totp.off", c.User.Email, "")
	c.flash(w, r, "ok", c.L.T("ws.totp.off"))
	http.Redirect(w, r, "/merchant/security", http.StatusSeeOther)
	return nil
}
