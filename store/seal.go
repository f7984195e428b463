package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"paybybank/payment"
)

// sealer encrypts what the store keeps secret at rest (a payer's account) with AES-256-GCM
// under a key of its own, derived from the server's secret with HKDF-SHA256 for this one purpose:
// the key signing cookies and links never encrypts, and one leaking says nothing of the other.
// Both come from the standard library (crypto/hkdf since Go 1.24), so nothing is hand-written.
type sealer struct{ aead cipher.AEAD }

// sealPrefix marks a sealed value and its format's version: "v1:" then base64 of nonce and
// ciphertext. A value without it was written in clear before sealing began.
const sealPrefix = "v1:"

// errNoSecret means the store has no key to seal with: neither UseSecret nor the database's
// own secret gave one.
var errNoSecret = errors.New("store: no secret to encrypt payer accounts with")

func newSealer(secret []byte) (*sealer, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, "paybybank payer accounts v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts plain, bound to the row it is written in (owner, a payment's or refund's id), so a
// sealed value copied into another row does not open there.
func (s *sealer) seal(plain []byte, owner string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return sealPrefix + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(owner)))
}

func (s *sealer) open(sealed, owner string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealPrefix))
	if err != nil {
		return nil, fmt.Errorf("store: sealed value: %w", err)
	}
	n := s.aead.NonceSize()
	if len(b) < n {
		return nil, errors.New("store: sealed value too short")
	}
	return s.aead.Open(nil, b[:n], b[n:], []byte(owner))
}

// UseSecret sets the server's secret, from which the key encrypting payers' accounts at rest is
// derived. The server calls it with its configured secret before serving; without it the store
// uses the secret kept in the database (SecretKey), which is the server's own in development.
// Payer accounts written under another secret no longer open: they read as unknown.
func (db *DB) UseSecret(secret []byte) error {
	s, err := newSealer(secret)
	if err != nil {
		return err
	}
	db.sealer.Store(s)
	return db.sealClearDebtors(context.Background())
}

// loadOwnSecret falls back on the secret kept in the database (SecretKey), as the development
// server does, when the server has set none (UseSecret) and the database has one. It only reads:
// opening a database, to copy into it for one, writes nothing.
func (db *DB) loadOwnSecret(ctx context.Context) *sealer {
	if s := db.sealer.Load(); s != nil {
		return s
	}
	var v string
	if err := db.ro.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'secret_key'`).Scan(&v); err != nil {
		return nil
	}
	key, err := hex.DecodeString(v)
	if err != nil {
		return nil
	}
	s, err := newSealer(key)
	if err != nil {
		return nil
	}
	db.sealer.CompareAndSwap(nil, s)
	return db.sealer.Load()
}

// ensureSealer makes sure there is a key to seal with before a write that seals, creating the
// database's own secret if there is none and the server set none. It runs before the write's
// transaction: SecretKey writes in one of its own. It leaves accounts written in clear as they
// are: only the server's own secret (UseSecret) seals them, lest a command run without it seal
// them under a key the server does not have.
func (db *DB) ensureSealer(ctx context.Context) error {
	if db.loadOwnSecret(ctx) != nil {
		return nil
	}
	key, err := db.SecretKey(ctx)
	if err != nil {
		return err
	}
	s, err := newSealer(key)
	if err != nil {
		return err
	}
	db.sealer.CompareAndSwap(nil, s)
	return nil
}

// sealedPayer is what a sealed payer value holds: the account and, where known, the name.
type sealedPayer struct {
	payment.Account
	Name string `json:"name,omitempty"`
}

// sealPayer seals a payer's account for the row of owner.
func (db *DB) sealPayer(a payment.Account, name, owner string) (string, error) {
	s := db.sealer.Load()
	if s == nil { // callers run ensureSealer first: this is a bug, not a state
		return "", errNoSecret
	}
	b, _ := json.Marshal(sealedPayer{Account: a, Name: name})
	return s.seal(b, owner), nil
}

// openPayer opens a sealed payer value of the row of owner; one written in clear before sealing
// began is read as it is. It reports false for an empty value or one that does not open (sealed
// under another secret).
func (db *DB) openPayer(v, owner string) (payment.PayerAccount, bool) {
	var p sealedPayer
	switch {
	case v == "":
		return payment.PayerAccount{}, false
	case strings.HasPrefix(v, "{"):
		if json.Unmarshal([]byte(v), &p) != nil {
			return payment.PayerAccount{}, false
		}
	default:
		s := db.loadOwnSecret(context.Background())
		if s == nil {
			return payment.PayerAccount{}, false
		}
		b, err := s.open(v, owner)
		if err != nil || json.Unmarshal(b, &p) != nil {
			return payment.PayerAccount{}, false
		}
	}
	return payment.PayerAccount{Account: p.Account, Name: p.Name}, true
}

// sealClearDebtors seals the payers' accounts written in clear before sealing began, so none
// stays readable in the database file.
func (db *DB) sealClearDebtors(ctx context.Context) error {
	rows, err := db.db.QueryContext(ctx, rebind(db.engine, `SELECT id, debtor FROM payments WHERE debtor LIKE '{%'`))
	if err != nil {
		return fmt.Errorf("store: clear debtors: %w", err)
	}
	type row struct{ id, debtor string }
	var clear []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.debtor); err != nil {
			rows.Close()
			return err
		}
		clear = append(clear, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(clear) == 0 {
		return err
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range clear {
		p, ok := db.openPayer(r.debtor, r.id)
		if !ok {
			continue
		}
		sealed, err := db.sealPayer(p.Account, p.Name, r.id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET debtor = ? WHERE id = ? AND debtor = ?`, sealed, r.id, r.debtor); err != nil {
			return fmt.Errorf("store: seal debtor: %w", err)
		}
		tx.changedPayment(r.id)
	}
	return tx.Commit()
}
