package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/argon2"

	"paybybank/payment"
)

// Role is what a person may do in a merchant's workspace.
type Role string

// The roles, from most to least allowed.
const (
	RoleOwner     Role = "owner"     // everything, people and the audit log included
	RoleDeveloper Role = "developer" // API keys and webhooks, and reading payments
	RoleSupport   Role = "support"   // reading payments, cancelling them, redelivering webhooks
	RoleViewer    Role = "viewer"    // reading payments
)

// Roles lists the roles in the order the workspace offers them.
var Roles = []Role{RoleOwner, RoleDeveloper, RoleSupport, RoleViewer}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// User is a person who signs in to a merchant's workspace. The password and the second
// factor's secret never leave the store.
type User struct {
	ID          string
	MerchantID  string
	Email       string
	Role        Role
	HasPassword bool
	TOTP        bool // the second factor is on
	CreatedAt   time.Time
}

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// passwordLinkTTL is how long a link to set a password works.
const passwordLinkTTL = 24 * time.Hour

// userSessionTTL is how long a sign-in lasts.
const userSessionTTL = 12 * time.Hour

var (
	// ErrEmailTaken is returned when a person with that e-mail address exists already.
	ErrEmailTaken = errors.New("store: a person with this e-mail address exists already")
	// ErrBadCredentials is returned for an unknown e-mail, a wrong password or a wrong code alike.
	ErrBadCredentials = errors.New("store: wrong e-mail, password or code")
	// ErrLastOwner is returned when a change would leave a merchant without an owner.
	ErrLastOwner = errors.New("store: a merchant keeps at least one owner")
)

const userColumns = `id, merchant_id, email, role, password_hash != '', totp_secret != '', created_at`

func scanUser(row scanner) (*User, error) {
	var u User
	var created string
	if err := row.Scan(&u.ID, &u.MerchantID, &u.Email, &u.Role, &u.HasPassword, &u.TOTP, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payment.ErrNotFound
		}
		return nil, fmt.Errorf("store: user: %w", err)
	}
	u.CreatedAt = parseTime(created)
	return &u, nil
}

// NormalizeEmail is how e-mail addresses are compared: trimmed and in lower case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CreateUser adds a person to a merchant with a role and returns them with a one-time link
// token to set their password, valid for 24 hours. Only the token's hash is kept.
func (db *DB) CreateUser(ctx context.Context, merchantID, email string, role Role) (*User, string, error) {
	email = NormalizeEmail(email)
	if !strings.Contains(email, "@") || len(email) > 254 {
		return nil, "", &payment.FieldError{Field: "email", Message: "is not an e-mail address"}
	}
	if !role.Valid() {
		return nil, "", &payment.FieldError{Field: "role", Message: "must be owner, developer, support or viewer"}
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email = ?`, email).Scan(&n); err != nil {
		return nil, "", fmt.Errorf("store: create user: %w", err)
	}
	if n > 0 {
		return nil, "", ErrEmailTaken
	}
	u := &User{ID: "usr_" + uuid.NewString(), MerchantID: merchantID, Email: email, Role: role, CreatedAt: tx.now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, merchant_id, email, role, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.ID, merchantID, email, role, formatTime(tx.now)); err != nil {
		return nil, "", fmt.Errorf("store: create user: %w", err)
	}
	token, err := newPasswordToken(ctx, tx, u.ID)
	if err != nil {
		return nil, "", err
	}
	return u, token, tx.Commit()
}

func newPasswordToken(ctx context.Context, tx *Tx, userID string) (string, error) {
	token := randomToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO password_tokens (hash, user_id, expires_at) VALUES (?, ?, ?)`,
		hashKey(token), userID, formatTime(tx.now.Add(passwordLinkTTL))); err != nil {
		return "", fmt.Errorf("store: password token: %w", err)
	}
	return token, nil
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// User returns one person by id, or ErrNotFound.
func (db *DB) User(ctx context.Context, id string) (*User, error) {
	return scanUser(db.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// Users returns a merchant's people, oldest first.
func (db *DB) Users(ctx context.Context, merchantID string) ([]User, error) {
	rows, err := db.query(ctx, `SELECT `+userColumns+` FROM users WHERE merchant_id = ? ORDER BY created_at, email`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// PasswordTokenUser returns the person a live, unused password link is for, or ErrNotFound.
func (db *DB) PasswordTokenUser(ctx context.Context, token string) (*User, error) {
	return scanUser(db.queryRow(ctx, `SELECT `+prefixed("u.", userColumns)+` FROM password_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ? AND t.used_at IS NULL AND t.expires_at > ?`, hashKey(token), formatTime(db.Now())))
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// SetPassword sets the password of the person a live password link is for and uses the link
// up; ErrNotFound when the link is unknown, used or expired. Every session the person had is
// ended: whoever knew the old password is signed out.
func (db *DB) SetPassword(ctx context.Context, token, password string) (*User, error) {
	if len([]rune(password)) < MinPasswordLength {
		return nil, &payment.FieldError{Field: "password", Message: fmt.Sprintf("must be at least %d characters", MinPasswordLength)}
	}
	hash := hashPassword(password) // before the transaction: it takes a moment and 64 MiB
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var userID string
	err = tx.QueryRowContext(ctx, `UPDATE password_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
		formatTime(tx.now), hashKey(token), formatTime(tx.now)).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("store: set password: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID); err != nil {
		return nil, fmt.Errorf("store: set password: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE user_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, formatTime(tx.now), userID); err != nil {
		return nil, fmt.Errorf("store: set password: %w", err)
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID))
	if err != nil {
		return nil, err
	}
	return u, tx.Commit()
}

// CheckPassword returns the person with that e-mail address and password, or ErrBadCredentials.
// An unknown address costs the same hashing as a known one, so timing does not tell them apart.
func (db *DB) CheckPassword(ctx context.Context, email, password string) (*User, error) {
	var id, stored string
	err := db.queryRow(ctx, `SELECT id, password_hash FROM users WHERE email = ?`, NormalizeEmail(email)).Scan(&id, &stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: check password: %w", err)
	}
	if stored == "" {
		stored = dummyHash()
	}
	if !verifyPassword(stored, password) || id == "" {
		return nil, ErrBadCredentials
	}
	return db.User(ctx, id)
}

// Argon2id parameters, RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes). They
// are written into every hash, so raising them later still verifies the hashes made before.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 4
	argonKeyLen  = 32
)

// dummyHash is verified against when the e-mail is unknown or has no password yet; made on first
// use, so that commands that never check a password do not pay for it.
var dummyHash = sync.OnceValue(func() string { return hashPassword("not a password anybody has") })

// hashPassword returns the argon2id hash of password as a PHC string:
// $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>, salt and hash in unpadded base64.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// verifyPassword checks password against a PHC string, with the parameters stored in it, and
// compares in constant time.
func verifyPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// SetRole changes a person's role. ErrNotFound for someone of another merchant; ErrLastOwner
// when it would leave the merchant without an owner.
func (db *DB) SetRole(ctx context.Context, merchantID, userID string, role Role) error {
	if !role.Valid() {
		return &payment.FieldError{Field: "role", Message: "must be owner, developer, support or viewer"}
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var current Role
	if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ? AND merchant_id = ?`, userID, merchantID).Scan(&current); errors.Is(err, sql.ErrNoRows) {
		return payment.ErrNotFound
	} else if err != nil {
		return fmt.Errorf("store: set role: %w", err)
	}
	if current == RoleOwner && role != RoleOwner {
		var owners int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE merchant_id = ? AND role = 'owner'`, merchantID).Scan(&owners); err != nil {
			return fmt.Errorf("store: set role: %w", err)
		}
		if owners <= 1 {
			return ErrLastOwner
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, role, userID); err != nil {
		return fmt.Errorf("store: set role: %w", err)
	}
	return tx.Commit()
}

// NewTOTPSecret returns a fresh second-factor secret in base32, 160 bits as RFC 4226 recommends.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// TOTPCode is the RFC 6238 code of secret (base32) at t: HMAC-SHA-1 over the 30-second step,
// dynamically truncated to 6 digits (RFC 4226 §5.3). Hand-written: it is twenty lines of HMAC,
// not worth a dependency.
func TOTPCode(secret string, t time.Time) string {
	return totpAt(secret, t.Unix()/30)
}

func totpAt(secret string, step int64) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return ""
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}

// matchTOTP returns the step a code is valid for, allowing one step of clock drift either way,
// and only steps after last: a code is never accepted twice.
func matchTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / 30
	for _, s := range []int64{step - 1, step, step + 1} {
		if s > last && subtle.ConstantTimeCompare([]byte(totpAt(secret, s)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// EnableTOTP turns the second factor on with secret, once code proves the person's app has it;
// ErrBadCredentials when it does not.
func (db *DB) EnableTOTP(ctx context.Context, userID, secret, code string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	step, ok := matchTOTP(secret, code, tx.now, 0)
	if !ok {
		return ErrBadCredentials
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ?`, secret, step, userID); err != nil {
		return fmt.Errorf("store: enable totp: %w", err)
	}
	return tx.Commit()
}

// DisableTOTP turns the second factor off.
func (db *DB) DisableTOTP(ctx context.Context, userID string) error {
	if _, err := db.exec(ctx, `UPDATE users SET totp_secret = '', totp_last_step = 0 WHERE id = ?`, userID); err != nil {
		return storageError(fmt.Errorf("store: disable totp: %w", err))
	}
	return nil
}

// UseTOTP checks a person's current second-factor code and uses it up; ErrBadCredentials for a
// wrong code or one used already.
func (db *DB) UseTOTP(ctx context.Context, userID, code string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var secret string
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_last_step FROM users WHERE id = ?`, userID).Scan(&secret, &last); errors.Is(err, sql.ErrNoRows) {
		return ErrBadCredentials
	} else if err != nil {
		return fmt.Errorf("store: use totp: %w", err)
	}
	step, ok := matchTOTP(secret, code, tx.now, last)
	if secret == "" || !ok {
		return ErrBadCredentials
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ?`, step, userID); err != nil {
		return fmt.Errorf("store: use totp: %w", err)
	}
	return tx.Commit()
}

// StartUserSession records a sign-in from ip and returns the session's token, to keep in the
// browser's session. Only its hash is stored.
func (db *DB) StartUserSession(ctx context.Context, userID, ip string) (string, error) {
	token := randomToken()
	now := db.Now().UTC()
	if _, err := db.exec(ctx, `INSERT INTO user_sessions (hash, user_id, ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		hashKey(token), userID, ip, formatTime(now), formatTime(now.Add(userSessionTTL))); err != nil {
		return "", storageError(fmt.Errorf("store: start session: %w", err))
	}
	return token, nil
}

// SessionUser returns the person a live session token belongs to, or ErrNotFound for a token
// unknown, ended or expired.
func (db *DB) SessionUser(ctx context.Context, token string) (*User, error) {
	return scanUser(db.queryRow(ctx, `SELECT `+prefixed("u.", userColumns)+` FROM user_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?`, hashKey(token), formatTime(db.Now())))
}

// EndUserSession ends one session (signing out).
func (db *DB) EndUserSession(ctx context.Context, token string) error {
	if _, err := db.exec(ctx, `UPDATE user_sessions SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL`,
		formatTime(db.Now()), hashKey(token)); err != nil {
		return storageError(fmt.Errorf("store: end session: %w", err))
	}
	return nil
}

// EndUserSessions ends every session of a person ("sign out everywhere") and returns how many.
func (db *DB) EndUserSessions(ctx context.Context, userID string) (int, error) {
	res, err := db.exec(ctx, `UPDATE user_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
		formatTime(db.Now()), userID, formatTime(db.Now()))
	if err != nil {
		return 0, storageError(fmt.Errorf("store: end sessions: %w", err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// RecordSignInFailure notes a failed sign-in for the account (its e-mail) and the address.
func (db *DB) RecordSignInFailure(ctx context.Context, email, ip string) error {
	now := formatTime(db.Now())
	if _, err := db.exec(ctx, `INSERT INTO sign_in_failures (scope, key, at) VALUES ('account', ?, ?), ('ip', ?, ?)`,
		NormalizeEmail(email), now, ip, now); err != nil {
		return storageError(fmt.Errorf("store: sign-in failure: %w", err))
	}
	// Failures older than a day count for nothing: forget them as we go.
	if _, err := db.exec(ctx, `DELETE FROM sign_in_failures WHERE at < ?`, formatTime(db.Now().Add(-24*time.Hour))); err != nil {
		return storageError(fmt.Errorf("store: sign-in failure: %w", err))
	}
	return nil
}

// SignInFailures counts the failed sign-ins of an account ("account", its e-mail) or an address
// ("ip") within the last window.
func (db *DB) SignInFailures(ctx context.Context, scope, key string, window time.Duration) (int, error) {
	if scope == "account" {
		key = NormalizeEmail(key)
	}
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM sign_in_failures WHERE scope = ? AND key = ? AND at > ?`,
		scope, key, formatTime(db.Now().Add(-window))).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: sign-in failures: %w", err)
	}
	return n, nil
}

// ClearSignInFailures forgets an account's failures after it signed in.
func (db *DB) ClearSignInFailures(ctx context.Context, email string) error {
	if _, err := db.exec(ctx, `DELETE FROM sign_in_failures WHERE scope = 'account' AND key = ?`, NormalizeEmail(email)); err != nil {
		return storageError(fmt.Errorf("store: clear sign-in failures: %w", err))
	}
	return nil
}
