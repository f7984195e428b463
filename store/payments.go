package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"paybybank/payment"
)

const paymentColumns = `id, merchant_id, token, status, amount_minor, currency, reference, creditor, return_url,
	locale, preselect_bic, country, metadata, bank_bic, provider, bank_status, bank_accepted, failure_reason,
	expires_at, created_at, updated_at, debtor, tsu, refundable, kind, auto_return, max_attempts, failure_code`

// CreatePayment stores a new payment in status open with its first event, filling in id,
// token and timestamps. With an idempotency key it returns the payment created before under the
// same key and request hash (created=false), or ErrIdempotencyMismatch when the hash differs.
//
// Creations are committed in groups: concurrent requests share one transaction and so one fsync
// (group commit), each in its own savepoint so one failure spoils no other. Every caller gets its
// answer only after the commit, so durability is as for a transaction of its own.
func (db *DB) CreatePayment(ctx context.Context, p *payment.Payment, idemKey, requestHash string) (_ *payment.Payment, created bool, err error) {
	if p.Debtor != nil {
		if err := db.ensureSealer(ctx); err != nil {
			return nil, false, err
		}
	}
	req := &createReq{p: p, key: idemKey, hash: requestHash, done: make(chan createRes, 1)}
	select {
	case db.creates <- req:
	case <-db.closing:
		return nil, false, errors.New("store: closed")
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	res := <-req.done
	return res.p, res.created, res.err
}

type createReq struct {
	p         *payment.Payment
	key, hash string
	done      chan createRes
}

type createRes struct {
	p       *payment.Payment
	created bool
	err     error
}

// maxGroup bounds how many creations share one commit.
const maxGroup = 64

// createWriter commits creations in groups until the store closes.
func (db *DB) createWriter() {
	defer close(db.writerDone)
	for {
		var first *createReq
		select {
		case first = <-db.creates:
		case <-db.closing:
			return
		}
		group := []*createReq{first}
	more:
		for len(group) < maxGroup {
			select {
			case r := <-db.creates:
				group = append(group, r)
			default:
				break more
			}
		}
		db.commitGroup(group)
	}
}

func (db *DB) commitGroup(group []*createReq) {
	ctx := context.Background()
	results := make([]createRes, len(group))
	fail := func(err error) {
		for _, r := range group {
			r.done <- createRes{err: err}
		}
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	for i, r := range group {
		if _, err := tx.Tx.ExecContext(ctx, `SAVEPOINT create_payment`); err != nil {
			fail(fmt.Errorf("store: savepoint: %w", storageError(err)))
			return
		}
		p, created, err := createPayment(ctx, tx, r.p, r.key, r.hash)
		if errors.Is(err, ErrUnavailable) {
			// SQLite may have rolled back the whole transaction (a full disk does): no creation
			// of the group stands, and each is told why.
			fail(err)
			return
		}
		if err != nil {
			tx.Tx.ExecContext(ctx, `ROLLBACK TO create_payment`)
		}
		tx.Tx.ExecContext(ctx, `RELEASE create_payment`)
		results[i] = createRes{p, created, err}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("store: commit: %w", err))
		return
	}
	for i, r := range group {
		r.done <- results[i]
	}
}

func createPayment(ctx context.Context, tx *Tx, p *payment.Payment, idemKey, requestHash string) (_ *payment.Payment, created bool, err error) {
	if idemKey != "" {
		var id, hash string
		err := tx.QueryRowContext(ctx, `SELECT id, request_hash FROM payments WHERE merchant_id = ? AND idempotency_key = ?`,
			p.MerchantID, idemKey).Scan(&id, &hash)
		if err == nil {
			if hash != requestHash {
				return nil, false, payment.ErrIdempotencyMismatch
			}
			existing, err := tx.db.findPayment(ctx, tx, `id = ?`, id)
			return existing, false, err
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, fmt.Errorf("store: idempotency lookup: %w", err)
		}
	}
	p.ID = "pay_" + uuid.NewString()
	p.Token = newToken()
	p.Status = payment.StatusOpen
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	creditor, _ := json.Marshal(p.Creditor)
	if p.Metadata == nil {
		p.Metadata = map[string]string{}
	}
	metadata, _ := json.Marshal(p.Metadata)
	var key any
	if idemKey != "" {
		key = idemKey
	}
	debtor, tsu := "", ""
	if p.Debtor != nil {
		if debtor, err = tx.db.sealPayer(*p.Debtor, "", p.ID); err != nil {
			return nil, false, err
		}
	}
	if p.TSU != nil {
		b, _ := json.Marshal(p.TSU)
		tsu = string(b)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, merchant_id, token, status, amount_minor, currency, reference,
		creditor, return_url, locale, preselect_bic, country, metadata, idempotency_key, request_hash, expires_at, created_at, updated_at, debtor, tsu, refundable, kind, auto_return,
		max_attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.MerchantID, p.Token, p.Status, p.AmountMinor, p.Currency, p.Reference, string(creditor), p.ReturnURL,
		p.Locale, p.PreselectBIC, p.Country, string(metadata), key, requestHash, formatTime(p.ExpiresAt),
		formatTime(tx.now), formatTime(tx.now), debtor, tsu, flag(p.Refundable), p.Kind, flag(p.AutoReturn), p.MaxAttempts); err != nil {
		return nil, false, fmt.Errorf("store: create payment: %w", err)
	}
	if err := insertEvent(ctx, tx, &payment.Event{PaymentID: p.ID, From: "", To: payment.StatusOpen, Cause: payment.CauseMerchant, Detail: "created"}); err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// newToken makes a checkout token: 160 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 20)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Payment returns a payment by id.
func (db *DB) Payment(ctx context.Context, id string) (*payment.Payment, error) {
	if p, ok := db.payments.get(id); ok {
		return p.Clone(), nil
	}
	return db.readPayment(ctx, `id = ?`, id)
}

// MerchantPayment returns a payment by id if it belongs to the merchant, else ErrNotFound. A
// refund order is not one of the merchant's payments: ErrNotFound too.
func (db *DB) MerchantPayment(ctx context.Context, merchantID, id string) (*payment.Payment, error) {
	p, err := db.Payment(ctx, id)
	if err == nil && (p.MerchantID != merchantID || p.Kind != "") {
		return nil, payment.ErrNotFound
	}
	return p, err
}

// PaymentByToken returns the payment behind a checkout token.
func (db *DB) PaymentByToken(ctx context.Context, token string) (*payment.Payment, error) {
	if id, ok := db.tokens.get(token); ok {
		if p, ok := db.payments.get(id); ok {
			return p.Clone(), nil
		}
	}
	return db.readPayment(ctx, `token = ?`, token)
}

// readPayment reads a payment outside any transaction and keeps it in the cache, unless a write
// of payments happened meanwhile. Callers get their own copy to change as they please.
func (db *DB) readPayment(ctx context.Context, where string, args ...any) (*payment.Payment, error) {
	gen := db.payments.generation()
	p, err := db.findPayment(ctx, db.ro, where, args...)
	if err != nil {
		return nil, err
	}
	db.payments.put(gen, p.ID, p.Clone())
	db.tokens.put(0, p.Token, p.ID) // a token names its payment for ever: never forgotten
	return p, nil
}

// Payments lists a merchant's payments newest first and returns the cursor of the next page, if any.
func (db *DB) Payments(ctx context.Context, merchantID string, f payment.ListFilter) ([]*payment.Payment, string, error) {
	// A refund order is the merchant's bank paying refunds, not a payment to the merchant.
	where := []string{"merchant_id = ?", "kind = ''"}
	args := []any{merchantID}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if !f.CreatedAfter.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, formatTime(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, formatTime(f.CreatedBefore))
	}
	if f.BankBIC != "" {
		where = append(where, "bank_bic = ?")
		args = append(args, f.BankBIC)
	}
	if f.Provider != "" {
		where = append(where, "provider = ?")
		args = append(args, f.Provider)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		w, a := searchClause(q)
		where = append(where, w)
		args = append(args, a...)
	}
	if f.Cursor != "" {
		var created string
		var rowid int64
		err := db.ro.QueryRowContext(ctx, `SELECT created_at, rowid FROM payments WHERE id = ? AND merchant_id = ?`, f.Cursor, merchantID).Scan(&created, &rowid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, "", payment.ErrNotFound
		} else if err != nil {
			return nil, "", fmt.Errorf("store: cursor: %w", err)
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND rowid < ?))")
		args = append(args, created, created, rowid)
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 20
	}
	args = append(args, f.Limit+1)
	rows, err := db.ro.QueryContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, rowid DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: payments: %w", err)
	}
	defer rows.Close()
	var out []*payment.Payment
	for rows.Next() {
		p, err := db.scanPayment(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, p)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, rows.Err()
}

// UnfinishedPayments returns every payment that is not in a terminal state, oldest first:
// the reconciler's work list after a start.
func (db *DB) UnfinishedPayments(ctx context.Context) ([]*payment.Payment, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE status IN ('open', 'authorising', 'processing') ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("store: unfinished payments: %w", err)
	}
	defer rows.Close()
	var out []*payment.Payment
	for rows.Next() {
		p, err := db.scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) findPayment(ctx context.Context, q querier, where string, args ...any) (*payment.Payment, error) {
	return db.scanPayment(q.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE `+where, args...))
}

// scanPayment reads a payment's row, opening its payer's account: an account that does not open
// (sealed under another secret) reads as unknown.
func (db *DB) scanPayment(row scanner) (*payment.Payment, error) {
	var p payment.Payment
	var creditor, metadata, expires, created, updated, debtor, tsu string
	if err := row.Scan(&p.ID, &p.MerchantID, &p.Token, &p.Status, &p.AmountMinor, &p.Currency, &p.Reference, &creditor,
		&p.ReturnURL, &p.Locale, &p.PreselectBIC, &p.Country, &metadata, &p.BankBIC, &p.Provider, &p.BankStatus,
		&p.BankAccepted, &p.FailureReason, &expires, &created, &updated, &debtor, &tsu, &p.Refundable, &p.Kind, &p.AutoReturn, &p.MaxAttempts, &p.FailureCode); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payment.ErrNotFound
		}
		return nil, fmt.Errorf("store: payment: %w", err)
	}
	json.Unmarshal([]byte(creditor), &p.Creditor)
	json.Unmarshal([]byte(metadata), &p.Metadata)
	if payer, ok := db.openPayer(debtor, p.ID); ok {
		p.Debtor = &payer.Account
	}
	if tsu != "" {
		p.TSU = &payment.TSU{}
		json.Unmarshal([]byte(tsu), p.TSU)
	}
	p.ExpiresAt, p.CreatedAt, p.UpdatedAt = parseTime(expires), parseTime(created), parseTime(updated)
	return &p, nil
}

// Transition applies one lifecycle step as a single conditional update and appends it to the
// event log, in one transaction. It returns ErrConflict when the payment is no longer in tr.From
// (another request moved it first), so racing callbacks and polls apply a change at most once.
func (db *DB) Transition(ctx context.Context, id string, tr payment.Transition) (*payment.Payment, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := transition(ctx, tx, id, tr); err != nil {
		return nil, err
	}
	p, err := tx.db.findPayment(ctx, tx, `id = ?`, id)
	if err != nil {
		return nil, err
	}
	return p, tx.Commit()
}

func transition(ctx context.Context, tx *Tx, id string, tr payment.Transition) error {
	if !payment.CanTransition(tr.From, tr.To) {
		return fmt.Errorf("store: transition %s → %s not allowed: %w", tr.From, tr.To, payment.ErrConflict)
	}
	res, err := tx.ExecContext(ctx, `UPDATE payments SET status = ?,
			bank_status = CASE WHEN ? = '' THEN bank_status ELSE ? END,
			bank_accepted = ?, failure_reason = ?, failure_code = ?, updated_at = ?
		WHERE id = ? AND status = ?`,
		tr.To, tr.BankStatus, tr.BankStatus, flag(tr.BankAccepted), tr.FailureReason, tr.FailureCode, formatTime(tx.now), id, tr.From)
	if err != nil {
		return fmt.Errorf("store: transition: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := tx.db.findPayment(ctx, tx, `id = ?`, id); err != nil {
			return err
		}
		return payment.ErrConflict
	}
	tx.changedPayment(id)
	if err := insertEvent(ctx, tx, &payment.Event{PaymentID: id, From: tr.From, To: tr.To, Cause: tr.Cause, BankStatus: tr.BankStatus, Detail: tr.Detail}); err != nil {
		return err
	}
	if err := settleActiveAttempt(ctx, tx, id, tr); err != nil {
		return err
	}
	if tr.To == payment.StatusOpen {
		return nil // back to the bank choice: the attempt's end is the merchant's news (payment.attempt_failed)
	}
	return enqueueWebhook(ctx, tx, id, "payment."+string(tr.To), tr.From, tr.Cause, nil)
}

// settleActiveAttempt gives the payment's live attempt the outcome a transition implies: approved
// (processing, completed), failed or cancelled with the transition's reason, or abandoned when the
// payment expired. An attempt that already has an outcome keeps it, but for an approved one the
// bank then rejects or cancels.
func settleActiveAttempt(ctx context.Context, tx *Tx, paymentID string, tr payment.Transition) error {
	var outcome payment.Outcome
	reason, keep := tr.FailureCode, "''"
	switch tr.To {
	case payment.StatusProcessing, payment.StatusCompleted:
		outcome, reason = payment.OutcomeSucceeded, ""
	case payment.StatusFailed:
		outcome, keep = payment.OutcomeFailed, "'', 'succeeded'"
	case payment.StatusCancelled:
		outcome, keep = payment.OutcomeCancelled, "'', 'succeeded'"
	case payment.StatusExpired:
		outcome, reason = payment.OutcomeAbandoned, payment.ReasonExpired
	default:
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE authorisations SET outcome = ?, reason = ?, reason_detail = ?, ended_at = ?, updated_at = ?
		WHERE payment_id = ? AND active = 1 AND product <> 'consent' AND outcome IN (`+keep+`)`,
		outcome, reason, tr.Detail, formatTime(tx.now), formatTime(tx.now), paymentID)
	if err != nil {
		return fmt.Errorf("store: settle attempt: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		tx.changedAuthorisation(paymentID)
	}
	return nil
}

// SetBankStatus records the bank's latest raw status of a payment that stays where it is.
func (db *DB) SetBankStatus(ctx context.Context, id, bankStatus string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE payments SET bank_status = ?, updated_at = ? WHERE id = ? AND bank_status <> ?`,
		bankStatus, formatTime(tx.now), id, bankStatus)
	if err != nil {
		return fmt.Errorf("store: bank status: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 { // an unchanged status wakes no page (Subscribe)
		tx.changedPayment(id)
	}
	return tx.Commit()
}

func insertEvent(ctx context.Context, tx *Tx, e *payment.Event) error {
	e.CreatedAt = tx.now
	if err := tx.QueryRowContext(ctx, `INSERT INTO payment_events (payment_id, from_status, to_status, cause, bank_status, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, e.PaymentID, e.From, e.To, e.Cause, e.BankStatus, e.Detail,
		formatTime(e.CreatedAt)).Scan(&e.ID); err != nil {
		return fmt.Errorf("store: event: %w", storageError(err))
	}
	return nil
}

// Events returns a payment's history, oldest first.
func (db *DB) Events(ctx context.Context, paymentID string) ([]payment.Event, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, payment_id, from_status, to_status, cause, bank_status, detail, created_at
		FROM payment_events WHERE payment_id = ? ORDER BY id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []payment.Event
	for rows.Next() {
		var e payment.Event
		var created string
		if err := rows.Scan(&e.ID, &e.PaymentID, &e.From, &e.To, &e.Cause, &e.BankStatus, &e.Detail, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = parseTime(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetDebtor records the shopper's account on a payment that has not gone to its bank yet.
func (db *DB) SetDebtor(ctx context.Context, id string, a payment.Account) error {
	if err := db.ensureSealer(ctx); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	sealed, err := db.sealPayer(a, "", id)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE payments SET debtor = ?, updated_at = ? WHERE id = ? AND status = 'open'`, sealed, formatTime(tx.now), id)
	if err != nil {
		return fmt.Errorf("store: set debtor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return payment.ErrConflict
	}
	tx.changedPayment(id)
	return tx.Commit()
}

// SetBank notes the bank a shopper is dealing with while the payment is still open (reading their
// accounts there before paying), so the page and the reconciler know to look.
func (db *DB) SetBank(ctx context.Context, id, bic, provider string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE payments SET bank_bic = ?, provider = ?, updated_at = ? WHERE id = ? AND status = 'open'`,
		bic, provider, formatTime(tx.now), id)
	if err != nil {
		return fmt.Errorf("store: set bank: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return payment.ErrConflict
	}
	tx.changedPayment(id)
	return tx.Commit()
}
