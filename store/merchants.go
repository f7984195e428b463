package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"paybybank/payment"
)

// CreateMerchant stores a new merchant, filling in its id and signing secret.
func (db *DB) CreateMerchant(ctx context.Context, m *payment.Merchant) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if m.ID == "" {
		m.ID = "mer_" + uuid.NewString()
	}
	if m.SigningSecret == "" {
		m.SigningSecret = "sign_" + randomHex(24)
	}
	m.CreatedAt = tx.now
	origins, _ := json.Marshal(m.AllowedOrigins)
	creditor, _ := json.Marshal(m.Creditor)
	if _, err := tx.ExecContext(ctx, `INSERT INTO merchants (id, name, allowed_origins, creditor, signing_secret, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, m.ID, m.Name, string(origins), string(creditor), m.SigningSecret, formatTime(m.CreatedAt)); err != nil {
		return fmt.Errorf("store: create merchant: %w", err)
	}
	return tx.Commit()
}

// merchantTTL is how long a merchant read is reused: every checkout page needs one, and merchants
// change rarely (a change made by another process, such as the CLI, shows within this time).
const merchantTTL = 5 * time.Second

type cachedMerchant struct {
	m  payment.Merchant
	at time.Time
}

// Merchant returns the merchant with the given id.
func (db *DB) Merchant(ctx context.Context, id string) (*payment.Merchant, error) {
	if c, ok := db.merchants.Load(id); ok && db.Now().Sub(c.(cachedMerchant).at) < merchantTTL {
		m := c.(cachedMerchant).m
		return &m, nil
	}
	m, err := db.merchant(ctx, id)
	if err == nil {
		db.merchants.Store(id, cachedMerchant{*m, db.Now()})
	}
	return m, err
}

func (db *DB) merchant(ctx context.Context, id string) (*payment.Merchant, error) {
	return scanMerchant(db.ro.QueryRowContext(ctx, `SELECT id, name, allowed_origins, creditor, signing_secret, created_at, display_name, accent, logo IS NOT NULL, identity
		FROM merchants WHERE id = ?`, id))
}

// Merchants returns every merchant, oldest first.
func (db *DB) Merchants(ctx context.Context) ([]*payment.Merchant, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, name, allowed_origins, creditor, signing_secret, created_at, display_name, accent, logo IS NOT NULL, identity
		FROM merchants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: merchants: %w", err)
	}
	defer rows.Close()
	var out []*payment.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanMerchant(row scanner) (*payment.Merchant, error) {
	var m payment.Merchant
	var origins, creditor, created, identity string
	if err := row.Scan(&m.ID, &m.Name, &origins, &creditor, &m.SigningSecret, &created, &m.DisplayName, &m.Accent, &m.HasLogo, &identity); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payment.ErrNotFound
		}
		return nil, fmt.Errorf("store: merchant: %w", err)
	}
	json.Unmarshal([]byte(origins), &m.AllowedOrigins)
	json.Unmarshal([]byte(creditor), &m.Creditor)
	if identity != "" {
		m.Identity = new(payment.Identity)
		if err := json.Unmarshal([]byte(identity), m.Identity); err != nil {
			return nil, fmt.Errorf("store: merchant %s identity: %w", m.ID, err)
		}
	}
	m.CreatedAt = parseTime(created)
	return &m, nil
}

// CreateAPIKey mints a new API key for a merchant and returns it in clear, the only time it
// is ever seen: the database keeps its SHA-256 (the key has 192 random bits, so a fast hash is enough).
func (db *DB) CreateAPIKey(ctx context.Context, merchantID string) (string, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	key := "pbb_" + randomHex(24)
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, merchant_id, hash, hint, created_at) VALUES (?, ?, ?, ?, ?)`,
		uuid.NewString(), merchantID, hashKey(key), key[len(key)-4:], formatTime(tx.now)); err != nil {
		return "", fmt.Errorf("store: create api key: %w", err)
	}
	return key, tx.Commit()
}

// MerchantByAPIKey returns the merchant owning an unrevoked key, or ErrNotFound. A key found is
// remembered (by its hash) for merchantTTL: every API call needs this look-up.
func (db *DB) MerchantByAPIKey(ctx context.Context, key string) (*payment.Merchant, error) {
	h := hashKey(key)
	if c, ok := db.merchants.Load("key:" + h); ok && db.Now().Sub(c.(cachedMerchant).at) < merchantTTL {
		m := c.(cachedMerchant).m
		return &m, nil
	}
	m, err := db.merchantByKeyHash(ctx, h)
	if err == nil {
		db.merchants.Store("key:"+h, cachedMerchant{*m, db.Now()})
	}
	return m, err
}

func (db *DB) merchantByKeyHash(ctx context.Context, hash string) (*payment.Merchant, error) {
	return scanMerchant(db.ro.QueryRowContext(ctx, `SELECT m.id, m.name, m.allowed_origins, m.creditor, m.signing_secret, m.created_at, m.display_name, m.accent, m.logo IS NOT NULL, m.identity
		FROM api_keys k JOIN merchants m ON m.id = k.merchant_id
		WHERE k.hash = ? AND k.revoked_at IS NULL`, hash))
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SetBranding stores the merchant's display name, accent colour and logo (nil keeps the logo,
// an empty slice removes it).
func (db *DB) SetBranding(ctx context.Context, merchantID, displayName, accent string, logo []byte, logoType string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	defer db.merchants.Delete(merchantID)
	res, err := tx.ExecContext(ctx, `UPDATE merchants SET display_name = ?, accent = ? WHERE id = ?`, displayName, accent, merchantID)
	if err != nil {
		return fmt.Errorf("store: branding: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return payment.ErrNotFound
	}
	if logo != nil {
		var v any
		if len(logo) > 0 {
			v = logo
		}
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET logo = ?, logo_type = ? WHERE id = ?`, v, logoType, merchantID); err != nil {
			return fmt.Errorf("store: logo: %w", err)
		}
	}
	return tx.Commit()
}

// SetIdentity stores the merchant's company registration (nil removes it).
func (db *DB) SetIdentity(ctx context.Context, merchantID string, id *payment.Identity) error {
	var v string
	if id != nil {
		b, err := json.Marshal(id)
		if err != nil {
			return fmt.Errorf("store: identity: %w", err)
		}
		v = string(b)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	defer db.merchants.Delete(merchantID)
	res, err := tx.ExecContext(ctx, `UPDATE merchants SET identity = ? WHERE id = ?`, v, merchantID)
	if err != nil {
		return fmt.Errorf("store: identity: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return payment.ErrNotFound
	}
	return tx.Commit()
}

// Logo returns a merchant's logo and its content type, or ErrNotFound.
func (db *DB) Logo(ctx context.Context, merchantID string) ([]byte, string, error) {
	var logo []byte
	var typ string
	err := db.ro.QueryRowContext(ctx, `SELECT logo, logo_type FROM merchants WHERE id = ? AND logo IS NOT NULL`, merchantID).Scan(&logo, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", payment.ErrNotFound
	} else if err != nil {
		return nil, "", fmt.Errorf("store: logo: %w", err)
	}
	return logo, typ, nil
}
