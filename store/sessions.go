package store

import (
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// SessionStore is a gorilla/sessions store that keeps session values in SQLite. The cookie
// carries only the signed session id, so nothing about the shopper travels in it.
type SessionStore struct {
	db      *DB
	codecs  []securecookie.Codec
	Options *sessions.Options
}

// NewSessionStore returns a session store signing its cookie ids with key.
func NewSessionStore(db *DB, key []byte, secure bool) *SessionStore {
	codecs := securecookie.CodecsFromPairs(key)
	for _, c := range codecs {
		// The cookie holds only the id, as bytes: gob, the default, took a tenth of a page's time.
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.NopEncoder{})
	}
	return &SessionStore{
		db:     db,
		codecs: codecs,
		Options: &sessions.Options{
			Path: "/", MaxAge: 30 * 24 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
		},
	}
}

// Get returns the session of the request, cached per request by gorilla's registry.
func (s *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or starts an empty one.
func (s *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	session := sessions.NewSession(s, name)
	opts := *s.Options
	session.Options = &opts
	session.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return session, nil
	}
	var raw []byte
	if err := securecookie.DecodeMulti(name, c.Value, &raw, s.codecs...); err != nil {
		return session, nil // a forged or stale cookie starts a fresh session
	}
	id := string(raw)
	values, err := s.db.loadSession(r.Context(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return session, nil
	} else if err != nil {
		return session, err
	}
	session.ID, session.Values, session.IsNew = id, values, false
	return session, nil
}

// Save writes the session's values and sets the cookie; MaxAge < 0 deletes both.
func (s *SessionStore) Save(r *http.Request, w http.ResponseWriter, session *sessions.Session) error {
	if session.Options.MaxAge < 0 {
		if session.ID != "" {
			s.db.deleteSession(r.Context(), session.ID)
		}
		http.SetCookie(w, sessions.NewCookie(session.Name(), "", session.Options))
		return nil
	}
	if session.ID == "" {
		session.ID = strings.TrimRight(base32.StdEncoding.EncodeToString(securecookie.GenerateRandomKey(32)), "=")
	}
	expires := time.Now().Add(time.Duration(session.Options.MaxAge) * time.Second)
	if err := s.db.saveSession(r.Context(), session.ID, session.Values, expires); err != nil {
		return err
	}
	encoded, err := securecookie.EncodeMulti(session.Name(), []byte(session.ID), s.codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(session.Name(), encoded, session.Options))
	return nil
}

// sessionRow is a session as cached: its values and when it ends.
type sessionRow struct {
	values  map[string]string
	expires time.Time
}

func (db *DB) loadSession(ctx context.Context, id string) (map[any]any, error) {
	row, ok := db.sessions.get(id)
	if !ok {
		gen := db.sessions.generation()
		var data []byte
		var expires string
		if err := db.ro.QueryRowContext(ctx, `SELECT data, expires_at FROM sessions WHERE id = ?`, id).Scan(&data, &expires); err != nil {
			return nil, err
		}
		row.expires = parseTime(expires)
		if err := json.Unmarshal(data, &row.values); err != nil {
			return nil, fmt.Errorf("store: decode session: %w", err)
		}
		db.sessions.put(gen, id, row)
	}
	if row.expires.Before(db.Now()) {
		return nil, sql.ErrNoRows
	}
	values := make(map[any]any, len(row.values))
	for k, v := range row.values {
		values[k] = v
	}
	return values, nil
}

func (db *DB) saveSession(ctx context.Context, id string, values map[any]any, expires time.Time) error {
	// Sessions hold short strings only (CSRF token, language, last bank, signed-in merchant);
	// JSON of a string map is several times cheaper to read than gob.
	m := make(map[string]string, len(values))
	for k, v := range values {
		ks, ok1 := k.(string)
		vs, ok2 := v.(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("store: session value %v is not a string", k)
		}
		m[ks] = vs
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
		id, data, formatTime(expires)); err != nil {
		return fmt.Errorf("store: save session: %w", err)
	}
	err = tx.Commit()
	db.sessions.forget(id)
	return err
}

func (db *DB) deleteSession(ctx context.Context, id string) {
	db.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	db.sessions.forget(id)
}

// DeleteExpiredSessions removes sessions past their time; the reconciler calls it now and then.
func (db *DB) DeleteExpiredSessions(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, formatTime(db.Now()))
	db.sessions.forgetAll()
	return err
}
