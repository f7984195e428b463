package handlers

import (
	"net/http"
	"strconv"

	"paybybank/views"
)

// auditPage shows the merchant's audit log, newest first, 50 a page.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, next, err := s.store.AuditLog(r.Context(), c.Merchant.ID, before, 50)
	if err != nil {
		return err
	}
	d := views.WorkspaceAudit{Workspace: s.shell(w, r, c, "audit", c.L.T("ws.nav.audit"))}
	for _, e := range entries {
		d.Entries = append(d.Entries, views.AuditRow{At: e.CreatedAt.UTC().Format("2006-01-02 15:04:05"), Email: e.Email,
			Action: c.L.T("ws.audit." + e.Action), Target: e.Target, Detail: e.Detail, IP: e.IP})
	}
	if next != 0 {
		d.Next = "/merchant/audit?before=" + strconv.FormatInt(next, 10)
	}
	s.render(w, r, http.StatusOK, views.WorkspaceAuditPage(d))
	return nil
}
