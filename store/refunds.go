package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"paybybank/payment"
)

const refundColumns = `id, payment_id, merchant_id, amount_minor, currency, reference, status, payee, failure_reason,
	batch_id, created_at, updated_at`

// CreateRefund stores a new refund of a payment, awaiting authorisation, with its first event and
// its refund.created webhook, filling in id, payee, status and timestamps. It enforces, in this
// one transaction, what makes a refund possible: the payment is the merchant's
// (ErrNotFound otherwise) and completed (*NotRefundableError), its payer's account is known
// (ErrPayerAccountUnknown), and the refunds of the payment that may still move money, this one
// included, never exceed its amount (*OverRefundError). The payment's row is locked first (FOR
// UPDATE on PostgreSQL; SQLite's write transactions hold the whole database), so concurrent
// creations are checked one after another against each other's refunds.
//
// With an idempotency key it returns the refund created before under the same key and request
// hash (created=false), or ErrIdempotencyMismatch when the hash differs.
func (db *DB) CreateRefund(ctx context.Context, r *payment.Refund, idemKey, requestHash string) (_ *payment.Refund, created bool, err error) {
	if err := db.ensureSealer(ctx); err != nil {
		return nil, false, err
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var merchantID, debtor string
	var status payment.Status
	var amount int64
	err = tx.QueryRowContext(ctx, `SELECT merchant_id, status, amount_minor, debtor FROM payments WHERE id = ? FOR UPDATE`,
		r.PaymentID).Scan(&merchantID, &status, &amount, &debtor)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && merchantID != r.MerchantID) {
		return nil, false, payment.ErrNotFound
	} else if err != nil {
		return nil, false, fmt.Errorf("store: refund's payment: %w", storageError(err))
	}
	if idemKey != "" {
		var id, hash string
		err := tx.QueryRowContext(ctx, `SELECT id, request_hash FROM refunds WHERE merchant_id = ? AND idempotency_key = ?`,
			r.MerchantID, idemKey).Scan(&id, &hash)
		if err == nil {
			if hash != requestHash {
				return nil, false, payment.ErrIdempotencyMismatch
			}
			existing, err := db.findRefund(ctx, tx, `id = ?`, id)
			return existing, false, err
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, fmt.Errorf("store: refund idempotency lookup: %w", err)
		}
	}
	if status != payment.StatusCompleted {
		return nil, false, &payment.NotRefundableError{Status: status}
	}
	payer, ok := db.openPayer(debtor, r.PaymentID)
	if !ok {
		return nil, false, payment.ErrPayerAccountUnknown
	}
	refunded, err := refundedAmount(ctx, tx, r.PaymentID)
	if err != nil {
		return nil, false, err
	}
	if refunded+r.AmountMinor > amount {
		return nil, false, &payment.OverRefundError{RemainingMinor: max(0, amount-refunded), Currency: r.Currency}
	}
	r.ID = "rf_" + uuid.NewString()
	r.Status = payment.RefundAwaitingAuthorisation
	r.Payee = payer.Account
	if r.PayeeName == "" {
		r.PayeeName = payer.Name
	}
	r.FailureReason, r.BatchID = "", ""
	r.CreatedAt, r.UpdatedAt = tx.now, tx.now
	payee, err := db.sealPayer(r.Payee, r.PayeeName, r.ID)
	if err != nil {
		return nil, false, err
	}
	var key any
	if idemKey != "" {
		key = idemKey
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (id, payment_id, merchant_id, amount_minor, currency, reference, status,
		payee, idempotency_key, request_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.PaymentID, r.MerchantID, r.AmountMinor, r.Currency, r.Reference, r.Status, payee, key, requestHash,
		formatTime(tx.now), formatTime(tx.now)); err != nil {
		return nil, false, fmt.Errorf("store: create refund: %w", storageError(err))
	}
	if err := insertRefundEvent(ctx, tx, r.ID, "", r.Status, "created"); err != nil {
		return nil, false, err
	}
	if err := enqueueRefundWebhook(ctx, tx, r, "", payment.RefundCreatedEvent); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// refundedAmount is what the refunds of a payment that may still move money add up to.
func refundedAmount(ctx context.Context, tx *Tx, paymentID string) (int64, error) {
	var sum int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_minor), 0) FROM refunds
		WHERE payment_id = ? AND status NOT IN ('cancelled', 'failed')`, paymentID).Scan(&sum); err != nil {
		return 0, fmt.Errorf("store: refunded amount: %w", err)
	}
	return sum, nil
}

// RefundedAmounts returns, for each listed payment with refunds, what its refunds that may still
// move money (neither cancelled nor failed) add up to, in minor units: a payment page's worth in
// one query.
func (db *DB) RefundedAmounts(ctx context.Context, paymentIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(paymentIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(paymentIDs))
	for i, id := range paymentIDs {
		args[i] = id
	}
	rows, err := db.query(ctx, `SELECT payment_id, SUM(amount_minor) FROM refunds WHERE status NOT IN ('cancelled', 'failed')
		AND payment_id IN (?`+strings.Repeat(", ?", len(args)-1)+`) GROUP BY payment_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: refunded amounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var sum int64
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, err
		}
		out[id] = sum
	}
	return out, rows.Err()
}

// Refund returns a refund by id.
func (db *DB) Refund(ctx context.Context, id string) (*payment.Refund, error) {
	return db.findRefund(ctx, db.ro, `id = ?`, id)
}

// MerchantRefund returns a refund by id if it is the merchant's, else ErrNotFound.
func (db *DB) MerchantRefund(ctx context.Context, merchantID, id string) (*payment.Refund, error) {
	r, err := db.Refund(ctx, id)
	if err == nil && r.MerchantID != merchantID {
		return nil, payment.ErrNotFound
	}
	return r, err
}

// RefundsOf returns a payment's refunds, oldest first.
func (db *DB) RefundsOf(ctx context.Context, paymentID string) ([]*payment.Refund, error) {
	return db.listRefunds(ctx, `payment_id = ?`, paymentID)
}

// RefundsAwaiting returns the merchant's refunds awaiting authorisation, oldest first: the list a
// person of the merchant authorises from.
func (db *DB) RefundsAwaiting(ctx context.Context, merchantID string) ([]*payment.Refund, error) {
	return db.listRefunds(ctx, `merchant_id = ? AND status = 'awaiting_authorisation'`, merchantID)
}

// RefundsInBatch returns the refunds one authorisation at the merchant's bank carries, oldest first.
func (db *DB) RefundsInBatch(ctx context.Context, batchID string) ([]*payment.Refund, error) {
	if batchID == "" {
		return nil, nil
	}
	return db.listRefunds(ctx, `batch_id = ?`, batchID)
}

func (db *DB) listRefunds(ctx context.Context, where string, args ...any) ([]*payment.Refund, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT `+refundColumns+` FROM refunds WHERE `+where+` ORDER BY created_at, rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: refunds: %w", err)
	}
	defer rows.Close()
	out := []*payment.Refund{}
	for rows.Next() {
		r, err := db.scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (db *DB) findRefund(ctx context.Context, q querier, where string, args ...any) (*payment.Refund, error) {
	return db.scanRefund(q.QueryRowContext(ctx, `SELECT `+refundColumns+` FROM refunds WHERE `+where, args...))
}

func (db *DB) scanRefund(row scanner) (*payment.Refund, error) {
	var r payment.Refund
	var payee, created, updated string
	if err := row.Scan(&r.ID, &r.PaymentID, &r.MerchantID, &r.AmountMinor, &r.Currency, &r.Reference, &r.Status, &payee,
		&r.FailureReason, &r.BatchID, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payment.ErrNotFound
		}
		return nil, fmt.Errorf("store: refund: %w", err)
	}
	if p, ok := db.openPayer(payee, r.ID); ok {
		r.Payee, r.PayeeName = p.Account, p.Name
	}
	r.CreatedAt, r.UpdatedAt = parseTime(created), parseTime(updated)
	return &r, nil
}

// TransitionRefund moves a refund from one status to another as a single conditional update,
// with its event and, for an end (completed, failed, cancelled), its webhook, in one transaction.
// It returns ErrConflict when the refund is no longer in from (another request or server moved
// it first) or the lifecycle does not allow the step. reason is kept as the failure reason of a
// failed refund and in the event's detail otherwise. batchID, when given, names the authorisation
// now carrying the refund; going back to awaiting_authorisation clears it.
func (db *DB) TransitionRefund(ctx context.Context, id string, from, to payment.RefundStatus, reason, batchID string) (*payment.Refund, error) {
	if !payment.CanTransitionRefund(from, to) {
		return nil, fmt.Errorf("store: refund transition %s → %s not allowed: %w", from, to, payment.ErrConflict)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	failure := ""
	if to == payment.RefundFailed {
		failure = reason
	}
	clearBatch := flag(to == payment.RefundAwaitingAuthorisation)
	res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = ?, failure_reason = ?,
			batch_id = CASE WHEN ? = 1 THEN '' WHEN ? = '' THEN batch_id ELSE ? END, updated_at = ?
		WHERE id = ? AND status = ?`, to, failure, clearBatch, batchID, batchID, formatTime(tx.now), id, from)
	if err != nil {
		return nil, fmt.Errorf("store: refund transition: %w", storageError(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := db.findRefund(ctx, tx, `id = ?`, id); err != nil {
			return nil, err
		}
		return nil, payment.ErrConflict
	}
	if err := insertRefundEvent(ctx, tx, id, from, to, reason); err != nil {
		return nil, err
	}
	r, err := db.findRefund(ctx, tx, `id = ?`, id)
	if err != nil {
		return nil, err
	}
	if to.Terminal() {
		if err := enqueueRefundWebhook(ctx, tx, r, from, "refund."+string(to)); err != nil {
			return nil, err
		}
	}
	return r, tx.Commit()
}

// RefundEvent is one step of a refund's append-only history.
type RefundEvent struct {
	ID        int64                `json:"id"`
	From      payment.RefundStatus `json:"from"`
	To        payment.RefundStatus `json:"to"`
	Detail    string               `json:"detail,omitempty"`
	CreatedAt time.Time            `json:"created_at"`
}

func insertRefundEvent(ctx context.Context, tx *Tx, refundID string, from, to payment.RefundStatus, detail string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO refund_events (refund_id, from_status, to_status, detail, created_at)
		VALUES (?, ?, ?, ?, ?)`, refundID, from, to, detail, formatTime(tx.now)); err != nil {
		return fmt.Errorf("store: refund event: %w", storageError(err))
	}
	return nil
}

// RefundEvents returns a refund's history, oldest first.
func (db *DB) RefundEvents(ctx context.Context, refundID string) ([]RefundEvent, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, from_status, to_status, detail, created_at FROM refund_events
		WHERE refund_id = ? ORDER BY id`, refundID)
	if err != nil {
		return nil, fmt.Errorf("store: refund events: %w", err)
	}
	defer rows.Close()
	out := []RefundEvent{}
	for rows.Next() {
		var e RefundEvent
		var created string
		if err := rows.Scan(&e.ID, &e.From, &e.To, &e.Detail, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = parseTime(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// refundWebhookData is a refund as a webhook tells it; the payer's account is never in it.
type refundWebhookData struct {
	ID             string               `json:"id"`
	PaymentID      string               `json:"payment_id"`
	Status         payment.RefundStatus `json:"status"`
	PreviousStatus payment.RefundStatus `json:"previous_status,omitempty"`
	Amount         string               `json:"amount"`
	Currency       string               `json:"currency"`
	Reference      string               `json:"reference"`
	FailureReason  string               `json:"failure_reason,omitempty"`
}

// enqueueRefundWebhook writes the outbox entry of a refund's event in the caller's transaction,
// as a payment's transition does (enqueueWebhook); it is filed under the refund's payment, so the
// payment's delivery log shows it.
func enqueueRefundWebhook(ctx context.Context, tx *Tx, r *payment.Refund, from payment.RefundStatus, typ string) error {
	endpoints, err := wantingEndpoints(ctx, tx, r.MerchantID, typ)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	ev := struct {
		ID        string            `json:"id"`
		Type      string            `json:"type"`
		CreatedAt time.Time         `json:"created_at"`
		Data      refundWebhookData `json:"data"`
	}{ID: "evt_" + uuid.NewString(), Type: typ, CreatedAt: tx.now, Data: refundWebhookData{ID: r.ID, PaymentID: r.PaymentID,
		Status: r.Status, PreviousStatus: from, Amount: r.Amount(), Currency: r.Currency, Reference: r.Reference, FailureReason: r.FailureReason}}
	body, _ := json.Marshal(ev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, merchant_id, payment_id, type, payload, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ev.ID, r.MerchantID, r.PaymentID, typ, string(body), formatTime(tx.now), formatTime(tx.now)); err != nil {
		return fmt.Errorf("store: enqueue refund webhook: %w", err)
	}
	for _, id := range endpoints {
		if err := addDelivery(ctx, tx, ev.ID, id, typ); err != nil {
			return err
		}
	}
	return nil
}

// PayerAccount returns the account a payment came from, opened from its sealed column, or
// ErrPayerAccountUnknown when nobody told it (or it was sealed under another secret).
func (db *DB) PayerAccount(ctx context.Context, paymentID string) (payment.PayerAccount, error) {
	var debtor string
	err := db.ro.QueryRowContext(ctx, `SELECT debtor FROM payments WHERE id = ?`, paymentID).Scan(&debtor)
	if errors.Is(err, sql.ErrNoRows) {
		return payment.PayerAccount{}, payment.ErrNotFound
	} else if err != nil {
		return payment.PayerAccount{}, fmt.Errorf("store: payer account: %w", err)
	}
	p, ok := db.openPayer(debtor, paymentID)
	if !ok {
		return payment.PayerAccount{}, payment.ErrPayerAccountUnknown
	}
	return p, nil
}

// RecordPayerAccount keeps the account the bank reports a payment came from, where none is known
// yet: an account the shopper gave or the merchant sent is never replaced. It reports whether it
// was kept.
func (db *DB) RecordPayerAccount(ctx context.Context, paymentID string, p payment.PayerAccount) (bool, error) {
	if err := db.ensureSealer(ctx); err != nil {
		return false, err
	}
	sealed, err := db.sealPayer(p.Account, p.Name, paymentID)
	if err != nil {
		return false, err
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE payments SET debtor = ? WHERE id = ? AND debtor = ''`, sealed, paymentID)
	if err != nil {
		return false, fmt.Errorf("store: record payer account: %w", storageError(err))
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		tx.changedPayment(paymentID)
	}
	return n > 0, tx.Commit()
}

// SetRefundAccount sets the merchant's account refunds are paid from, replacing any before.
func (db *DB) SetRefundAccount(ctx context.Context, a *payment.RefundAccount) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM merchants WHERE id = ?`, a.MerchantID).Scan(&n); err != nil {
		return fmt.Errorf("store: refund account: %w", err)
	}
	if n == 0 {
		return payment.ErrNotFound
	}
	a.UpdatedAt = tx.now
	account, _ := json.Marshal(a.Account)
	if _, err := tx.ExecContext(ctx, `INSERT INTO refund_accounts (merchant_id, bic, provider, account, name, corporate_id, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id) DO UPDATE SET bic = excluded.bic, provider = excluded.provider,
		account = excluded.account, name = excluded.name, corporate_id = excluded.corporate_id, updated_at = excluded.updated_at`,
		a.MerchantID, a.BIC, a.Provider, string(account), a.Name, a.CorporateID, formatTime(tx.now)); err != nil {
		return fmt.Errorf("store: set refund account: %w", storageError(err))
	}
	return tx.Commit()
}

// RefundAccount returns the merchant's account refunds are paid from, or ErrNoRefundAccount.
// It is the merchant's own business account, configured by an operator, and kept in clear like
// the merchant's creditor account.
func (db *DB) RefundAccount(ctx context.Context, merchantID string) (*payment.RefundAccount, error) {
	a := payment.RefundAccount{MerchantID: merchantID}
	var account, updated string
	err := db.ro.QueryRowContext(ctx, `SELECT bic, provider, account, name, corporate_id, updated_at FROM refund_accounts WHERE merchant_id = ?`,
		merchantID).Scan(&a.BIC, &a.Provider, &account, &a.Name, &a.CorporateID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNoRefundAccount
	} else if err != nil {
		return nil, fmt.Errorf("store: refund account: %w", err)
	}
	json.Unmarshal([]byte(account), &a.Account)
	a.UpdatedAt = parseTime(updated)
	return &a, nil
}
