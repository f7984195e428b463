package store

import (
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
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

	// verified remembers cookie values whose signature was checked, with the session id inside
	// and when the signature runs out: a reload then costs a lookup instead of an HMAC. Only
	// values that passed the check get in, so the map cannot be fed a forgery.
	verifiedMu sync.Mutex
	verified   map[string]verifiedCookie
}

type verifiedCookie struct {
	id    string
	until time.Time
}

// maxVerified bounds the remembered cookies; past it the map starts afresh.
const maxVerified = 10000

// sessionMaxAge is how long a shopper's session lasts, in seconds: 30 days.
const sessionMaxAge = 30 * 24 * 3600

// NewSessionStore returns a session store signing its cookie ids with key.
func NewSessionStore(db *DB, key []byte, secure bool) *SessionStore {
	codecs := securecookie.CodecsFromPairs(key)
	for _, c := range codecs {
		// The cookie holds only the id, as bytes: gob, the default, took a tenth of a page's time.
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.NopEncoder{})
		c.(*securecookie.SecureCookie).MaxAge(sessionMaxAge)
	}
	return &SessionStore{
		db:     db,
		codecs: codecs,
		Options: &sessions.Options{
			Path: "/", MaxAge: sessionMaxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
		},
		verified: map[string]verifiedCookie{},
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
	id, ok := s.verify(name, c.Value)
	if !ok {
		return session, nil // a forged or stale cookie starts a fresh session
	}
	values, err := s.db.loadSession(r.Context(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return session, nil
	} else if err != nil {
		return session, err
	}
	session.ID, session.Values, session.IsNew = id, values, false
	return session, nil
}

// verify checks a cookie's signature and age and returns the session id in it.
func (s *SessionStore) verify(name, value string) (string, bool) {
	now := s.db.Now()
	s.verifiedMu.Lock()
	v, ok := s.verified[value]
	s.verifiedMu.Unlock()
	if ok && now.Before(v.until) {
		return v.id, true
	}
	var raw []byte
	if err := securecookie.DecodeMulti(name, value, &raw, s.codecs...); err != nil {
		return "", false
	}
	// The value is base64 of "signed-at|id|mac" (securecookie's format); the signature runs out
	// sessionMaxAge after signed-at, as securecookie itself would judge it.
	if b, err := base64.URLEncoding.DecodeString(value); err == nil {
		if at, _, found := strings.Cut(string(b), "|"); found {
			if t, err := strconv.ParseInt(at, 10, 64); err == nil {
				s.verifiedMu.Lock()
				if len(s.verified) >= maxVerified {
					clear(s.verified)
				}
				s.verified[value] = verifiedCookie{id: string(raw), until: time.Unix(t+sessionMaxAge, 0)}
				s.verifiedMu.Unlock()
			}
		}
	}
	return string(raw), true
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
	expires := s.db.Now().Add(time.Duration(session.Options.MaxAge) * time.Second)
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
	db.db.ExecContext(ctx, rebind(db.engine, `DELETE FROM sessions WHERE id = ?`), id)
	db.sessions.forget(id)
}

// DeleteExpiredSessions removes sessions past their time; the reconciler calls it now and then.
func (db *DB) DeleteExpiredSessions(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, rebind(db.engine, `DELETE FROM sessions WHERE expires_at < ?`), formatTime(db.Now()))
	db.sessions.forgetAll()
	return err
}
