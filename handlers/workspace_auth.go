package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gorilla/sessions"

	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/store"
	"paybybank/views"
)

// The merchant's workspace: people sign in with an e-mail address and a password (and a TOTP
// code when they turned it on); the browser's session keeps a token of a server-side session
// (user_sessions), so a session can be ended from anywhere. What a person may do follows their
// role, checked here for every page and every form.

// permission is one thing a person may be allowed to do in the workspace.
type permission int

const (
	permRead      permission = iota // see payments
	permCancel                      // cancel a payment
	permRedeliver                   // send a webhook event again
	permKeys                        // see, create and revoke API keys
	permPeople                      // invite people and change their roles
	permAudit                       // read the audit log
	permLinks                       // create and deactivate payment links
	permWebhooks                    // manage webhook endpoints
	permRefunds                     // see refunds and authorise them at the merchant's bank
)

// can reports whether a role has a permission: owner everything, developer keys, webhooks and
// links, support payments (cancel included), links and refunds, viewer reading (links included).
// Refunds go to support as the people who answer the shop's customers; authorising one still
// takes the merchant's bank's own strong authentication of whoever holds the business account.
func can(role store.Role, p permission) bool {
	switch role {
	case store.RoleOwner:
		return true
	case store.RoleDeveloper:
		return p == permRead || p == permRedeliver || p == permKeys || p == permLinks || p == permWebhooks
	case store.RoleSupport:
		return p == permRead || p == permCancel || p == permRedeliver || p == permLinks || p == permRefunds
	case store.RoleViewer:
		return p == permRead
	}
	return false
}

// wsRequest is what a workspace handler works with: the signed-in person, their merchant, the
// session with its CSRF token, and the language of the pages.
type wsRequest struct {
	User     *store.User
	Merchant *payment.Merchant
	L        *i18n.Localizer
	CSRF     string
	sess     *sessions.Session
}

// wsHandler is a workspace page or form handler.
type wsHandler func(w http.ResponseWriter, r *http.Request, c *wsRequest) error

// sessionKey is the browser session's value holding the workspace session's token.
const sessionKey = "ws"

// currentUser returns the person signed in on this browser session, or nil.
func (s *Server) currentUser(r *http.Request, sess *sessions.Session) (*store.User, error) {
	token, _ := sess.Values[sessionKey].(string)
	if token == "" {
		return nil, nil
	}
	u, err := s.store.SessionUser(r.Context(), token)
	if errors.Is(err, payment.ErrNotFound) {
		delete(sess.Values, sessionKey) // ended elsewhere, or expired
		return nil, nil
	}
	return u, err
}

// ws wraps a workspace handler: a person must be signed in (or is sent to the sign-in page) and
// their role must allow need (or the answer is 403). Wrap it in page or form for the error funnel
// and, for forms, the CSRF check.
func (s *Server) ws(need permission, h wsHandler) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		sess, csrf := s.session(r)
		if lang := r.URL.Query().Get("lang"); lang != "" && len(lang) <= 8 {
			sess.Values["lang"] = lang
		}
		u, err := s.currentUser(r, sess)
		if err != nil {
			return err
		}
		if u == nil {
			sess.Save(r, w)
			http.Redirect(w, r, "/merchant", http.StatusSeeOther)
			return nil
		}
		if !can(u.Role, need) {
			sess.Save(r, w)
			s.renderError(w, r, http.StatusForbidden, "ws.forbidden", "/merchant")
			return nil
		}
		m, err := s.store.Merchant(r.Context(), u.MerchantID)
		if err != nil {
			return err
		}
		c := &wsRequest{User: u, Merchant: m, L: s.localizer(r, nil), CSRF: csrf, sess: sess}
		if err := sess.Save(r, w); err != nil {
			return err
		}
		return h(w, r, c)
	}
}

// audit writes what the person changed to the audit log. The change is made already, so a
// failure to record it is logged rather than shown.
func (s *Server) audit(r *http.Request, c *wsRequest, action, target, detail string) {
	err := s.store.Audit(r.Context(), store.AuditEntry{MerchantID: c.Merchant.ID, UserID: c.User.ID, Email: c.User.Email,
		Action: action, Target: target, Detail: detail, IP: s.clientIP(r)})
	if err != nil {
		s.logger.ErrorContext(r.Context(), "audit", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
	}
}

// flash keeps a message for the next page (post, redirect, get); take reads it once.
func (c *wsRequest) flash(w http.ResponseWriter, r *http.Request, kind, text string) {
	c.sess.Values["flash"] = kind + "\x00" + text
	c.sess.Save(r, w)
}

func (c *wsRequest) take(w http.ResponseWriter, r *http.Request) (notice, problem string) {
	v, _ := c.sess.Values["flash"].(string)
	if v == "" {
		return "", ""
	}
	delete(c.sess.Values, "flash")
	c.sess.Save(r, w)
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			if v[:i] == "bad" {
				return "", v[i+1:]
			}
			return v[i+1:], ""
		}
	}
	return v, ""
}

// shell fills what every workspace page shows: the title, the navigation the person's role
// allows, who is signed in, and a message left by the previous form.
func (s *Server) shell(w http.ResponseWriter, r *http.Request, c *wsRequest, active, title string) views.Workspace {
	l := c.L
	pg := views.Page{L: l, Title: title + " · " + c.Merchant.ShownName(), MerchantName: c.Merchant.ShownName(), Sandbox: s.cfg.Sandbox,
		Wide: true, Path: r.URL.Path}
	d := views.Workspace{Page: pg, CSRF: c.CSRF, Email: c.User.Email, Role: l.T("ws.role." + string(c.User.Role)), Heading: title}
	nav := []struct {
		key, href, name string
		p               permission
	}{
		{"ws.nav.payments", "/merchant", "payments", permRead},
		{"ws.nav.links", "/merchant/links", "links", permRead},
		{"ws.nav.refunds", "/merchant/refunds", "refunds", permRefunds},
		{"ws.nav.webhooks", "/merchant/webhooks", "webhooks", permWebhooks},
		{"ws.nav.keys", "/merchant/keys", "keys", permKeys},
		{"ws.nav.people", "/merchant/people", "people", permPeople},
		{"ws.nav.audit", "/merchant/audit", "audit", permAudit},
		{"ws.nav.security", "/merchant/security", "security", permRead},
	}
	for _, n := range nav {
		if n.name == active && r.Method != http.MethodGet {
			d.Path = n.href // a page drawn in answer to a form switches language on its GET page
		}
		if can(c.User.Role, n.p) {
			d.Nav = append(d.Nav, views.NavItem{Href: n.href, Label: l.T(n.key), Current: n.name == active})
		}
	}
	d.Notice, d.Problem = c.take(w, r)
	return d
}
