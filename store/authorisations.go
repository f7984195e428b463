package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"paybybank/payment"
)

const authorisationColumns = `id, payment_id, provider, bic, product, bank_payment_id, bank_auth_id, approach, method,
	redirect_url, autostart_token, extra, COALESCE(state_hash, ''), state_used_at, psu_ip, psu_user_agent, sca_status,
	app_launched, active, created_at, updated_at, affiliate, hint, challenge_method, challenge_information, otp_format,
	otp_length, authorize_first, bank_key, accounts, outcome, reason, reason_detail, ended_at`

// attemptFields are the typed values of an attempt beyond the first columns, in the order of
// authorisationColumns' last ones: what the checkout reads of an attempt, never in Extra.
func attemptFields(a *payment.Attempt) []any {
	var ch payment.Challenge
	if a.Challenge != nil {
		ch = *a.Challenge
	}
	var accounts any // NULL: never read, as opposed to read and empty
	if a.Accounts != nil {
		b, _ := json.Marshal(a.Accounts)
		accounts = string(b)
	}
	return []any{a.Affiliate, a.Hint, ch.Method, ch.Information, ch.OTPFormat, ch.OTPLength, flag(a.AuthorizeFirst), a.BankKey, accounts}
}

// CreateAuthorisation records a new SCA attempt for a payment before the bank is called, so a
// crash mid-call leaves a trace. The payment's previous active attempt, if any, is retired in the
// same transaction when replace is set; otherwise an active attempt makes this ErrConflict.
func (db *DB) CreateAuthorisation(ctx context.Context, a *payment.Attempt, replace bool) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if replace {
		if _, err := tx.ExecContext(ctx, `UPDATE authorisations SET active = 0, updated_at = ? WHERE payment_id = ? AND active = 1`,
			formatTime(tx.now), a.PaymentID); err != nil {
			return fmt.Errorf("store: retire authorisation: %w", err)
		}
	}
	tx.changedAuthorisation(a.PaymentID)
	a.ID = "auth_" + uuid.NewString()
	a.Active = true
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	extra, _ := json.Marshal(a.Extra)
	var state any
	if a.StateHash != "" {
		state = a.StateHash
	}
	args := append([]any{a.ID, a.PaymentID, a.Provider, a.BIC, a.Product, a.BankPaymentID, string(extra), state,
		a.PSUIPAddress, a.PSUUserAgent, formatTime(tx.now), formatTime(tx.now)}, attemptFields(a)...)
	_, err = tx.ExecContext(ctx, `INSERT INTO authorisations (id, payment_id, provider, bic, product, bank_payment_id, extra,
		state_hash, psu_ip, psu_user_agent, active, created_at, updated_at, affiliate, hint, challenge_method,
		challenge_information, otp_format, otp_length, authorize_first, bank_key, accounts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		if isConstraint(err) {
			return payment.ErrConflict
		}
		return fmt.Errorf("store: create authorisation: %w", err)
	}
	return tx.Commit()
}

// SaveAuthorisation writes what the bank answered about an attempt and, when tr is not nil,
// applies the payment's transition in the same transaction.
func (db *DB) SaveAuthorisation(ctx context.Context, a *payment.Attempt, tr *payment.Transition) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	extra, _ := json.Marshal(a.Extra)
	a.UpdatedAt = tx.now
	tx.changedAuthorisation(a.PaymentID)
	args := append([]any{a.Product, a.BankPaymentID, a.BankAuthID, a.Approach, a.Method, a.RedirectURL, a.AutostartToken,
		string(extra), a.SCAStatus, flag(a.AppLaunched), flag(a.Active), formatTime(tx.now)}, attemptFields(a)...)
	if _, err := tx.ExecContext(ctx, `UPDATE authorisations SET product = ?, bank_payment_id = ?, bank_auth_id = ?, approach = ?,
		method = ?, redirect_url = ?, autostart_token = ?, extra = ?, sca_status = ?, app_launched = ?, active = ?, updated_at = ?,
		affiliate = ?, hint = ?, challenge_method = ?, challenge_information = ?, otp_format = ?, otp_length = ?,
		authorize_first = ?, bank_key = ?, accounts = ? WHERE id = ?`, append(args, a.ID)...); err != nil {
		return fmt.Errorf("store: save authorisation: %w", err)
	}
	if tr != nil {
		if tr.BankBIC != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE payments SET bank_bic = ?, provider = ? WHERE id = ?`, tr.BankBIC, tr.Provider, a.PaymentID); err != nil {
				return fmt.Errorf("store: payment bank: %w", err)
			}
			tx.changedPayment(a.PaymentID)
		}
		if err := transition(ctx, tx, a.PaymentID, *tr); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// MergeAuthorisationExtra sets the given provider values (Extra keys) of an attempt and nothing
// else: a provider that rotates its tokens during a status call must not undo, with an older copy
// of the attempt, what another request wrote meanwhile.
func (db *DB) MergeAuthorisationExtra(ctx context.Context, a *payment.Attempt, changes map[string]string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var raw string
	if err := tx.QueryRowContext(ctx, `SELECT extra FROM authorisations WHERE id = ? FOR UPDATE`, a.ID).Scan(&raw); err != nil {
		return fmt.Errorf("store: authorisation extra: %w", err)
	}
	extra := map[string]string{}
	json.Unmarshal([]byte(raw), &extra)
	maps.Copy(extra, changes)
	b, _ := json.Marshal(extra)
	if _, err := tx.ExecContext(ctx, `UPDATE authorisations SET extra = ?, updated_at = ? WHERE id = ?`,
		string(b), formatTime(tx.now), a.ID); err != nil {
		return fmt.Errorf("store: authorisation extra: %w", err)
	}
	tx.changedAuthorisation(a.PaymentID)
	return tx.Commit()
}

// ActiveAuthorisation returns a payment's live SCA attempt, or ErrNotFound. The page asks for it
// every second while the shopper waits, so it is kept in memory like payments (see rowCache).
func (db *DB) ActiveAuthorisation(ctx context.Context, paymentID string) (*payment.Attempt, error) {
	if a, ok := db.auths.get(paymentID); ok {
		return a.Clone(), nil
	}
	gen := db.auths.generation()
	a, err := findAuthorisation(ctx, db.ro, `payment_id = ? AND active = 1`, paymentID)
	if err != nil {
		return nil, err
	}
	db.auths.put(gen, paymentID, a.Clone())
	return a, nil
}

// LatestAuthorisation returns a payment's newest SCA attempt, active or not, or ErrNotFound.
func (db *DB) LatestAuthorisation(ctx context.Context, paymentID string) (*payment.Attempt, error) {
	return findAuthorisation(ctx, db.ro, `payment_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`, paymentID)
}

// UseState consumes the callback state with the given hash and returns its attempt. A state
// is single use: a second call, or one for a retired attempt, is ErrConflict; an unknown one ErrNotFound.
// The state of an attempt that ended meanwhile (the bank told us first, by a webhook or a poll) is
// consumed once, and its attempt returned inactive: the shopper is coming back to the payment.
func (db *DB) UseState(ctx context.Context, stateHash string) (*payment.Attempt, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a, err := findAuthorisation(ctx, tx, `state_hash = ?`, stateHash)
	if err != nil {
		return nil, err
	}
	if !a.StateUsedAt.IsZero() || (!a.Active && !a.Ended()) {
		return a, payment.ErrConflict
	}
	if _, err := tx.ExecContext(ctx, `UPDATE authorisations SET state_used_at = ?, updated_at = ? WHERE id = ? AND state_used_at IS NULL`,
		formatTime(tx.now), formatTime(tx.now), a.ID); err != nil {
		return nil, fmt.Errorf("store: use state: %w", err)
	}
	tx.changedAuthorisation(a.PaymentID)
	a.StateUsedAt = tx.now
	return a, tx.Commit()
}

func findAuthorisation(ctx context.Context, q querier, where string, args ...any) (*payment.Attempt, error) {
	return scanAuthorisation(q.QueryRowContext(ctx, `SELECT `+authorisationColumns+` FROM authorisations WHERE `+where, args...))
}

func scanAuthorisation(row scanner) (*payment.Attempt, error) {
	var a payment.Attempt
	var extra, created, updated string
	var used, accounts, ended sql.NullString
	var ch payment.Challenge
	err := row.Scan(
		&a.ID, &a.PaymentID, &a.Provider, &a.BIC, &a.Product, &a.BankPaymentID, &a.BankAuthID, &a.Approach, &a.Method,
		&a.RedirectURL, &a.AutostartToken, &extra, &a.StateHash, &used, &a.PSUIPAddress, &a.PSUUserAgent, &a.SCAStatus,
		&a.AppLaunched, &a.Active, &created, &updated, &a.Affiliate, &a.Hint, &ch.Method, &ch.Information, &ch.OTPFormat,
		&ch.OTPLength, &a.AuthorizeFirst, &a.BankKey, &accounts, &a.Outcome, &a.Reason, &a.ReasonDetail, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("store: authorisation: %w", err)
	}
	a.EndedAt = nullTime(ended)
	json.Unmarshal([]byte(extra), &a.Extra)
	if ch != (payment.Challenge{}) {
		a.Challenge = &ch
	}
	if accounts.Valid {
		a.Accounts = []payment.BankAccount{}
		if err := json.Unmarshal([]byte(accounts.String), &a.Accounts); err != nil {
			return nil, fmt.Errorf("store: authorisation %s: accounts: %w", a.ID, err)
		}
	}
	a.StateUsedAt = nullTime(used)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	return &a, nil
}

// isConstraint reports whether err is a constraint violation (a unique index, here), on either engine.
func isConstraint(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code[:2] == "23" // integrity constraint violation: unique, foreign key, check…
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		return se.Code()&0xff == 19 // SQLITE_CONSTRAINT and its extended codes
	}
	return false
}

// ReleaseState makes a consumed callback state usable once more. The callback calls it when the
// bank could not be reached, so that the shopper's "Try again" can finish the same authorisation.
func (db *DB) ReleaseState(ctx context.Context, authID string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var paymentID string
	err = tx.QueryRowContext(ctx, `UPDATE authorisations SET state_used_at = NULL, updated_at = ? WHERE id = ? AND active = 1
		RETURNING payment_id`, formatTime(tx.now), authID).Scan(&paymentID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // retired meanwhile: nothing to release
	} else if err != nil {
		return fmt.Errorf("store: release state: %w", storageError(err))
	}
	tx.changedAuthorisation(paymentID)
	return tx.Commit()
}

// AuthorisationByBankPayment finds the SCA attempt behind a provider's payment id (for the
// provider's webhooks), or ErrNotFound.
func (db *DB) AuthorisationByBankPayment(ctx context.Context, provider, bankPaymentID string) (*payment.Attempt, error) {
	return findAuthorisation(ctx, db.ro, `provider = ? AND bank_payment_id = ? ORDER BY created_at DESC LIMIT 1`, provider, bankPaymentID)
}

// EndAttempt ends a payment's live attempt at a bank with its outcome (a.Outcome, a.Reason,
// a.ReasonDetail, which the caller sets) and, in the same transaction, moves the payment as tr
// says (back to open, or failed when no attempt may follow) or, with tr nil, records the end in
// the payment's events where it stands; and queues payment.attempt_failed with the payment's
// attempts. An attempt already ended is left alone and ErrConflict returned, so two ends of one
// attempt (the reconciler and a shopper's click, a poll and a callback) record it once.
func (db *DB) EndAttempt(ctx context.Context, a *payment.Attempt, cause payment.Cause, tr *payment.Transition) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE authorisations SET active = 0, sca_status = ?, outcome = ?, reason = ?, reason_detail = ?,
		ended_at = ?, updated_at = ? WHERE id = ? AND active = 1 AND outcome IN ('', 'succeeded')`,
		a.SCAStatus, a.Outcome, a.Reason, a.ReasonDetail, formatTime(tx.now), formatTime(tx.now), a.ID)
	if err != nil {
		return fmt.Errorf("store: end attempt: %w", storageError(err))
	}
	tx.changedAuthorisation(a.PaymentID)
	if n, _ := res.RowsAffected(); n == 0 {
		return payment.ErrConflict
	}
	a.Active, a.EndedAt = false, tx.now
	var status payment.Status
	if err := tx.QueryRowContext(ctx, `SELECT status FROM payments WHERE id = ?`, a.PaymentID).Scan(&status); err != nil {
		return fmt.Errorf("store: end attempt: %w", err)
	}
	detail := "attempt " + a.ID + " at " + a.BIC + " ended " + string(a.Outcome) + " (" + a.Reason + ")"
	if a.ReasonDetail != "" {
		detail += ": " + a.ReasonDetail
	}
	if tr == nil {
		if err := insertEvent(ctx, tx, &payment.Event{PaymentID: a.PaymentID, From: status, To: status, Cause: cause, Detail: detail}); err != nil {
			return err
		}
	} else {
		if tr.Detail == "" {
			tr.Detail = detail
		}
		tr.From = status
		if err := transition(ctx, tx, a.PaymentID, *tr); err != nil {
			return err
		}
	}
	attempts, err := attemptsOf(ctx, tx, a.PaymentID)
	if err != nil {
		return err
	}
	records := make([]payment.AttemptRecord, len(attempts))
	for i, at := range attempts {
		records[i] = at.Record()
	}
	// The event shows the payment as it now stands (open again, or failed), previous_status before.
	if err := enqueueWebhook(ctx, tx, a.PaymentID, payment.AttemptFailedEventType, status, cause, records); err != nil {
		return err
	}
	return tx.Commit()
}

// Attempts returns a payment's attempts at banks to pay (reading the shopper's accounts is not
// one), oldest first.
func (db *DB) Attempts(ctx context.Context, paymentID string) ([]*payment.Attempt, error) {
	return attemptsOf(ctx, db.ro, paymentID)
}

type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func attemptsOf(ctx context.Context, q rowsQuerier, paymentID string) ([]*payment.Attempt, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+authorisationColumns+` FROM authorisations
		WHERE payment_id = ? AND product <> 'consent' ORDER BY created_at, rowid`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("store: attempts: %w", err)
	}
	defer rows.Close()
	var out []*payment.Attempt
	for rows.Next() {
		a, err := scanAuthorisation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// InterruptedAfter is how long an attempt's bank call may run before, with several servers, it
// counts as cut short by a server's death: longer than the connectors' time-outs and retries.
const InterruptedAfter = 2 * time.Minute

// InterruptedAuthorisations returns the live attempts of open payments whose bank call has not
// finished: SCA not started (no approach). At start, before this process has called any bank, each
// of them was cut short by the death of the process that made it.
//
// On PostgreSQL other servers' calls may be under way: only attempts untouched for
// InterruptedAfter, longer than any bank call may take, are returned.
func (db *DB) InterruptedAuthorisations(ctx context.Context) ([]*payment.Attempt, error) {
	before := "9999"
	if db.engine == enginePostgres {
		before = formatTime(db.Now().Add(-InterruptedAfter))
	}
	rows, err := db.ro.QueryContext(ctx, `SELECT a.id FROM authorisations a JOIN payments p ON p.id = a.payment_id
		WHERE a.active = 1 AND a.approach = '' AND p.status = ? AND a.updated_at < ?`, payment.StatusOpen, before)
	if err != nil {
		return nil, fmt.Errorf("store: interrupted authorisations: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: interrupted authorisations: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: interrupted authorisations: %w", err)
	}
	var out []*payment.Attempt
	for _, id := range ids {
		a, err := findAuthorisation(ctx, db.ro, `id = ?`, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
