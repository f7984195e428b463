package handlers

import (
	"errors"
	"net/http"

	"paybybank/payment"
	"paybybank/store"
	"paybybank/views"
)

// peoplePage lists the merchant's people and their roles, with the invitation form.
func (s *Server) peoplePage(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	return s.renderPeople(w, r, c, http.StatusOK, "", "")
}

func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, c *wsRequest, status int, link, problem string) error {
	users, err := s.store.Users(r.Context(), c.Merchant.ID)
	if err != nil {
		return err
	}
	l := c.L
	d := views.WorkspacePeople{Workspace: s.shell(w, r, c, "people", l.T("ws.nav.people")), Link: link}
	if problem != "" {
		d.Problem = problem
	}
	for _, role := range store.Roles {
		d.Roles = append(d.Roles, views.Option{Value: string(role), Label: l.T("ws.role." + string(role))})
	}
	for _, u := range users {
		state := l.T("ws.people.invited")
		if u.HasPassword {
			state = l.T("ws.people.active")
		}
		if u.TOTP {
			state += " · " + l.T("ws.people.totp")
		}
		d.People = append(d.People, views.PersonRow{ID: u.ID, Email: u.Email, Role: string(u.Role), State: state, Self: u.ID == c.User.ID})
	}
	s.render(w, r, status, views.WorkspacePeoplePage(d))
	return nil
}

// invite adds a person with a role and shows the owner the one-time link to pass on: it sets the
// person's password within 24 hours, once.
func (s *Server) invite(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	u, token, err := s.store.CreateUser(r.Context(), c.Merchant.ID, r.PostFormValue("email"), store.Role(r.PostFormValue("role")))
	var fe *payment.FieldError
	switch {
	case errors.Is(err, store.ErrEmailTaken):
		return s.renderPeople(w, r, c, http.StatusConflict, "", c.L.T("ws.people.taken"))
	case errors.As(err, &fe):
		return s.renderPeople(w, r, c, http.StatusUnprocessableEntity, "", c.L.T("ws.people.invalid"))
	case err != nil:
		return err
	}
	s.audit(r, c, "user.invite", u.Email, string(u.Role))
	return s.renderPeople(w, r, c, http.StatusOK, s.cfg.PublicURL+"/merchant/password/"+token, "")
}

// changeRole gives a person another role; a merchant keeps at least one owner.
func (s *Server) changeRole(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	target, err := s.store.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if target.MerchantID != c.Merchant.ID {
		return payment.ErrNotFound
	}
	role := store.Role(r.PostFormValue("role"))
	err = s.store.SetRole(r.Context(), c.Merchant.ID, target.ID, role)
	var fe *payment.FieldError
	switch {
	case errors.Is(err, store.ErrLastOwner):
		c.flash(w, r, "bad", c.L.T("ws.people.last_owner"))
	case errors.As(err, &fe):
		c.flash(w, r, "bad", c.L.T("ws.people.invalid"))
	case err != nil:
		return err
	default:
		s.audit(r, c, "user.role", target.Email, string(target.Role)+" → "+string(role))
		c.flash(w, r, "ok", c.L.T("ws.people.changed"))
	}
	http.Redirect(w, r, "/merchant/people", http.StatusSeeOther)
	return nil
}
