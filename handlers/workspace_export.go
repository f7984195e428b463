package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strings"
	"time"

	"paybybank/payment"
)

// exportColumns are the CSV export's columns, for reconciling against the bank statement:
// reference is the statement text we send the bank (remittance information). end_to_end_id is
// the end-to-end identification we send the bank: no connector sends one today (the banks then
// fill in NOTPROVIDED), so the column is there, and empty, until one does.
var exportColumns = []string{"id", "created_at", "updated_at", "status", "amount", "currency", "reference", "end_to_end_id",
	"bank_bic", "provider", "bank_status"}

// exportPage is how many payments the export reads at a time: any number of payments streams out
// in pages, so neither memory nor one long read grows with the size of the export.
const exportPage = 100

// writeCSV streams the merchant's payments matching f as CSV, newest first.
func (s *Server) writeCSV(ctx context.Context, w http.ResponseWriter, merchantID string, f payment.ListFilter, name string) error {
	f.Limit, f.Cursor = exportPage, ""
	list, next, err := s.store.Payments(ctx, merchantID, f)
	if err != nil {
		return err // before the first byte: the caller's error page or problem
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(exportColumns)
	for {
		for _, p := range list {
			cw.Write([]string{p.ID, p.CreatedAt.UTC().Format(time.RFC3339), p.UpdatedAt.UTC().Format(time.RFC3339), string(p.Status),
				p.Amount(), p.Currency, p.Reference, "", p.BankBIC, p.Provider, p.BankStatus})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return nil // the client went away: nothing more to say to it
		}
		if next == "" {
			return nil
		}
		f.Cursor = next
		if list, next, err = s.store.Payments(ctx, merchantID, f); err != nil {
			// Half a file is sent already: cut it short, so that the client sees a broken
			// download rather than a complete-looking file.
			panic(http.ErrAbortHandler)
		}
	}
}

// exportFromWorkspace downloads the payments list, filtered as on screen, as CSV.
func (s *Server) exportFromWorkspace(w http.ResponseWriter, r *http.Request, c *wsRequest) error {
	f := parseWSFilter(r.URL.Query()).list()
	return s.writeCSV(r.Context(), w, c.Merchant.ID, f, "payments-"+time.Now().UTC().Format("20060102-150405")+".csv")
}

// exportPayments is GET /api/v1/payments/export: the same CSV, filtered by the query.
func (s *Server) exportPayments(w http.ResponseWriter, r *http.Request, m *payment.Merchant) error {
	q := r.URL.Query()
	f, err := apiFilter(q)
	if err != nil {
		return err
	}
	f.Query, f.BankBIC, f.Provider = q.Get("q"), strings.ToUpper(q.Get("bank")), q.Get("provider")
	err = s.writeCSV(r.Context(), w, m.ID, f, "payments.csv")
	if errors.Is(err, payment.ErrNotFound) {
		return &apiError{Status: 404, Code: "not_found", Title: "Not found", Detail: "no such payment"}
	}
	return err
}
