package handlers

import (
	"log/slog"
	"net/http"

	"paybybank/views"
)

// keysPage lists the merchant's API keys, with a form to create one and a button to revoke each.
func (s *Server) keysPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	return s.renderKeys(w, r, c, "")
}

func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, c *wsRequest, created string) error {
	keys, err := s.store.APIKeys(r.Context(), c.Merchant.ID)
	if err != nil {
		return err
	}
	d := views.WorkspaceKeys{Workspace: s.shell(w, r, c, "keys", c.L.T("ws.nav.keys")), Created: created}
	for _, k := range keys {
		mk := views.KeyRow{ID: k.ID, Prefix: k.Prefix(), Created: k.CreatedAt.UTC().Format("2006-01-02 15:04")}
		if k.Revoked() {
			mk.Revoked = k.RevokedAt.UTC().Format("2006-01-02 15:04")
		}
		d.Keys = append(d.Keys, mk)
	}
	s.render(w, r, http.StatusOK, views.WorkspaceKeysPage(d))
	return nil
}

// createKey mints an API key and shows it this once: it is not kept in clear, so the answer is
// the page itself rather than a redirect.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	key, err := s.store.CreateAPIKey(r.Context(), c.Merchant.ID)
	if err != nil {
		return err
	}
	s.audit(r, c, "key.create", "pbb_…"+key[len(key)-4:], "")
	return s.renderKeys(w, r, c, key)
}

// revokeKey revokes one of the merchant's API keys and goes back to the list (post, redirect, get).
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	if err := s.store.RevokeAPIKey(r.Context(), c.Merchant.ID, r.PathValue("id")); err != nil {
		return err // ErrNotFound for another merchant's key: a 404 page
	}
	s.audit(r, c, "key.revoke", r.PathValue("id"), "")
	s.logger.InfoContext(r.Context(), "api key revoked", slog.String("request_id", requestIDFrom(r.Context())),
		slog.String("merchant_id", c.Merchant.ID), slog.String("key_id", r.PathValue("id")), slog.String("user_id", c.User.ID))
	c.flash(w, r, "ok", c.L.T("ws.keys.revoked"))
	http.Redirect(w, r, "/merchant/keys", http.StatusSeeOther)
	return nil
}
