package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"paybybank/payment"
	"paybybank/store"
	"paybybank/views"
)

// Sign-in limits. Per account: 5 failures within 15 minutes lock it for the rest of those 15
// minutes, and 20 within a day lock it for the day. Per client address: 20 failures within 15
// minutes, whatever the accounts tried (an office behind one address gets that many). A refused
// attempt does not check the password, so a locked account tells nothing about it.
var signInLimits = []struct {
	scope  string
	max    int
	window time.Duration
}{
	{"account", 5, 15 * time.Minute},
	{"account", 20, 24 * time.Hour},
	{"ip", 20, 15 * time.Minute},
}

// pendingTTL is how long a password stays good for the second step of signing in.
const pendingTTL = 5 * time.Minute

// merchantHome draws the sign-in page, or the workspace's payments for a person signed in already.
func (s *Server) merchantHome(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.session(r)
	u, err := s.currentUser(r, sess)
	if err != nil {
		return err
	}
	if u != nil {
		return s.ws(permRead, s.paymentsPage)(w, r)
	}
	if lang := r.URL.Query().Get("lang"); lang != "" && len(lang) <= 8 {
		sess.Values["lang"] = lang
	}
	return s.renderSignIn(w, r, http.StatusOK, "")
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	sess, csrf := s.session(r)
	notice := ""
	if v, _ := sess.Values["signin_notice"].(string); v != "" {
		notice = v
		delete(sess.Values, "signin_notice")
	}
	if err := sess.Save(r, w); err != nil {
		return err
	}
	l := s.localizer(r, nil)
	pg := views.Page{L: l, Title: l.T("ws.signin.title") + " · paybybank", MerchantName: "paybybank", Sandbox: s.cfg.Sandbox, Path: "/merchant"}
	s.render(w, r, status, views.SignInPage(views.SignIn{Page: pg, CSRF: csrf, Notice: notice, Problem: problem}))
	return nil
}

// limited reports whether sign-in is refused for now for this account or address.
func (s *Server) limited(r *http.Request, email string) (bool, error) {
	for _, lim := range signInLimits {
		key := email
		if lim.scope == "ip" {
			key = s.clientIP(r)
		}
		n, err := s.store.SignInFailures(r.Context(), lim.scope, key, lim.window)
		if err != nil {
			return false, err
		}
		if n >= lim.max {
			return true, nil
		}
	}
	return false, nil
}

// signIn checks the e-mail and password; with the second factor on, it asks for the code next.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r, nil)
	email := store.NormalizeEmail(r.PostFormValue("email"))
	if stop, err := s.limited(r, email); err != nil {
		return err
	} else if stop {
		w.Header().Set("Retry-After", "900")
		return s.renderSignIn(w, r, http.StatusTooManyRequests, l.T("ws.signin.limited"))
	}
	u, err := s.store.CheckPassword(r.Context(), email, r.PostFormValue("password"))
	if errors.Is(err, store.ErrBadCredentials) {
		if err := s.store.RecordSignInFailure(r.Context(), email, s.clientIP(r)); err != nil {
			return err
		}
		s.logger.InfoContext(r.Context(), "sign-in failed", slog.String("request_id", requestIDFrom(r.Context())), slog.String("ip", s.clientIP(r)))
		return s.renderSignIn(w, r, http.StatusUnauthorized, l.T("ws.signin.wrong"))
	} else if err != nil {
		return err
	}
	sess, _ := s.session(r)
	if u.TOTP {
		sess.Values["pending_user"] = u.ID
		sess.Values["pending_at"] = strconv.FormatInt(time.Now().Unix(), 10)
		if err := sess.Save(r, w); err != nil {
			return err
		}
		return s.renderTOTPStep(w, r, http.StatusOK, "")
	}
	return s.finishSignIn(w, r, u)
}

func (s *Server) renderTOTPStep(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	_, csrf := s.session(r)
	l := s.localizer(r, nil)
	pg := views.Page{L: l, Title: l.T("ws.totp.title") + " · paybybank", MerchantName: "paybybank", Sandbox: s.cfg.Sandbox}
	s.render(w, r, status, views.TOTPStepPage(views.SignIn{Page: pg, CSRF: csrf, Problem: problem}))
	return nil
}

// signInCode is the second step: the code of the person whose password was right a moment ago.
func (s *Server) signInCode(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.session(r)
	id, _ := sess.Values["pending_user"].(string)
	atText, _ := sess.Values["pending_at"].(string)
	at, _ := strconv.ParseInt(atText, 10, 64)
	if id == "" || time.Since(time.Unix(at, 0)) > pendingTTL {
		delete(sess.Values, "pending_user")
		return s.renderSignIn(w, r, http.StatusUnauthorized, s.localizer(r, nil).T("ws.signin.again"))
	}
	u, err := s.store.User(r.Context(), id)
	if err != nil {
		return err
	}
	l := s.localizer(r, nil)
	if stop, err := s.limited(r, u.Email); err != nil {
		return err
	} else if stop {
		delete(sess.Values, "pending_user")
		w.Header().Set("Retry-After", "900")
		return s.renderSignIn(w, r, http.StatusTooManyRequests, l.T("ws.signin.limited"))
	}
	if err := s.store.UseTOTP(r.Context(), u.ID, r.PostFormValue("code")); errors.Is(err, store.ErrBadCredentials) {
		if err := s.store.RecordSignInFailure(r.Context(), u.Email, s.clientIP(r)); err != nil {
			return err
		}
		return s.renderTOTPStep(w, r, http.StatusUnauthorized, l.T("ws.totp.wrong"))
	} else if err != nil {
		return err
	}
	return s.finishSignIn(w, r, u)
}

// finishSignIn starts a server-side session under a new browser session id (no fixation).
func (s *Server) finishSignIn(w http.ResponseWriter, r *http.Request, u *store.User) error {
	token, err := s.store.StartUserSession(r.Context(), u.ID, s.clientIP(r))
	if err != nil {
		return err
	}
	if err := s.store.ClearSignInFailures(r.Context(), u.Email); err != nil {
		return err
	}
	sess, _ := s.session(r)
	sess.ID = ""
	delete(sess.Values, "pending_user")
	delete(sess.Values, "pending_at")
	sess.Values[sessionKey] = token
	if err := sess.Save(r, w); err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "signed in", slog.String("request_id", requestIDFrom(r.Context())), slog.String("user_id", u.ID))
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}

// signOut ends this browser's session.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.session(r)
	if token, _ := sess.Values[sessionKey].(string); token != "" {
		if err := s.store.EndUserSession(r.Context(), token); err != nil {
			return err
		}
	}
	delete(sess.Values, sessionKey)
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}

// signOutEverywhere ends every session of the person, this one included.
func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	n, err := s.store.EndUserSessions(r.Context(), c.User.ID)
	if err != nil {
		return err
	}
	s.audit(r, c, "sessions.end", c.User.ID, "")
	delete(c.sess.Values, sessionKey)
	c.sess.Values["signin_notice"] = c.L.T("ws.signin.everywhere")
	if err := c.sess.Save(r, w); err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "signed out everywhere", slog.String("request_id", requestIDFrom(r.Context())),
		slog.String("user_id", c.User.ID), slog.Int("sessions", n))
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}

// passwordPage is the page a one-time link opens: set a password.
func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) error {
	u, err := s.store.PasswordTokenUser(r.Context(), r.PathValue("token"))
	if errors.Is(err, payment.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, "ws.password.expired", "")
		return nil
	} else if err != nil {
		return err
	}
	return s.renderPassword(w, r, http.StatusOK, u.Email, "")
}

func (s *Server) renderPassword(w http.ResponseWriter, r *http.Request, status int, email, problem string) error {
	sess, csrf := s.session(r)
	if err := sess.Save(r, w); err != nil {
		return err
	}
	l := s.localizer(r, nil)
	pg := views.Page{L: l, Title: l.T("ws.password.title") + " · paybybank", MerchantName: "paybybank", Sandbox: s.cfg.Sandbox}
	s.render(w, r, status, views.SetPasswordPage(views.SetPassword{Page: pg, CSRF: csrf, Email: email, Action: r.URL.Path,
		Problem: problem, MinLength: store.MinPasswordLength}))
	return nil
}

// setPassword sets the password and sends the person to sign in with it.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r, nil)
	token := r.PathValue("token")
	u, err := s.store.PasswordTokenUser(r.Context(), token)
	if errors.Is(err, payment.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, "ws.password.expired", "")
		return nil
	} else if err != nil {
		return err
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		return s.renderPassword(w, r, http.StatusUnprocessableEntity, u.Email, l.T("ws.password.mismatch"))
	}
	var fe *payment.FieldError
	if _, err := s.store.SetPassword(r.Context(), token, pw); errors.As(err, &fe) {
		return s.renderPassword(w, r, http.StatusUnprocessableEntity, u.Email, l.T("ws.password.short"))
	} else if errors.Is(err, payment.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, "ws.password.expired", "")
		return nil
	} else if err != nil {
		return err
	}
	sess, _ := s.session(r)
	sess.Values["signin_notice"] = l.T("ws.password.done")
	if err := sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, "/merchant", http.StatusSeeOther)
	return nil
}
