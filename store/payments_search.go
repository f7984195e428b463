package store

import (
	"context"
	"fmt"
	"strings"

	"paybybank/payment"
)

// searchClause is the workspace's search box: a payment id, a part of the reference (any case),
// a bank BIC, or an amount written as a decimal ("249", "249.00"), in any currency.
func searchClause(q string) (string, []any) {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	or := []string{"id = ?", `reference LIKE ? ESCAPE '\'`, "bank_bic = ?"}
	args := []any{q, like, strings.ToUpper(q)}
	// The amount as minor units of a two-decimal currency and of one without decimals (ISK, JPY:
	// the only ones payment's currency table has).
	if minor, err := payment.ParseAmount(q, "EUR"); err == nil {
		or = append(or, "(amount_minor = ? AND currency NOT IN ('ISK', 'JPY'))")
		args = append(args, minor)
	}
	if minor, err := payment.ParseAmount(q, "ISK"); err == nil {
		or = append(or, "(amount_minor = ? AND currency IN ('ISK', 'JPY'))")
		args = append(args, minor)
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// PaymentFacets returns the banks (BICs) and providers a merchant's payments went through,
// sorted: the workspace's filters offer them.
func (db *DB) PaymentFacets(ctx context.Context, merchantID string) (bics, providers []string, err error) {
	for _, c := range []struct {
		col string
		out *[]string
	}{{"bank_bic", &bics}, {"provider", &providers}} {
		rows, err := db.ro.QueryContext(ctx, `SELECT DISTINCT `+c.col+` FROM payments WHERE merchant_id = ? AND kind = '' AND `+c.col+` != '' ORDER BY 1`, merchantID)
		if err != nil {
			return nil, nil, fmt.Errorf("store: payment facets: %w", err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("store: payment facets: %w", err)
			}
			*c.out = append(*c.out, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("store: payment facets: %w", err)
		}
	}
	return bics, providers, nil
}
