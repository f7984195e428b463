package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
	"paybybank/store"
)

// The workspace finds payments by reference, id and amount, filters by status and date, keeps
// its filters in the URL from page to page, and a long reference is cut short on screen with the
// whole of it in the title.
func TestWorkspaceSearch(t *testing.T) {
	h := e2etest.New(t)
	long := "Invoice " + strings.Repeat("very-long-reference-", 6)
	idLong, _ := h.CreatePayment(`"reference":"` + long + `","amount":"12.34"`)
	idOther, _ := h.CreatePayment(`"reference":"Order 77"`)
	h.API("POST", "/api/v1/payments/"+idOther+"/cancel", "")
	for i := range 51 {
		h.CreatePayment(fmt.Sprintf(`"reference":"Bulk %02d"`, i))
	}
	ann := addPerson(h, "ann@example.com", store.RoleViewer)
	ann.signIn()
	count := func(page string) int { return strings.Count(page, `href="/merchant/payments/`) }

	for _, tt := range []struct {
		query string
		want  []string
		n     int
	}{
		{"q=very-long", []string{idLong, `title="` + long + ` · ` + idLong + `"`}, 1},
		{"q=" + idOther, []string{"Order 77"}, 1},
		{"q=12.34", []string{idLong}, 1},
		{"q=order+77&status=cancelled", []string{idOther}, 1},
		{"q=order+77&status=completed", nil, 0},
		{"from=" + h.Clock.Now().Format(time.DateOnly) + "&to=" + h.Clock.Now().Format(time.DateOnly) + "&q=Order", []string{idOther}, 1},
		{"from=" + h.Clock.Now().Add(48*time.Hour).Format(time.DateOnly), nil, 0},
		{"q=Bulk", []string{"Bulk 50", "Bulk 01"}, 50},
	} {
		resp, page := ann.get("/merchant?" + tt.query)
		e2etest.ExpectCode(t, resp, 200)
		if got := count(page); got != tt.n {
			t.Errorf("%s: %d payments, want %d", tt.query, got, tt.n)
		}
		for _, w := range tt.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: lacks %q", tt.query, w)
			}
		}
	}
	// The next page keeps the search, and so does the export link.
	_, page := ann.get("/merchant?q=Bulk")
	next := regexp.MustCompile(`href="(/merchant\?cursor=[^"]+)"`).FindStringSubmatch(page)
	if next == nil || !strings.Contains(next[1], "q=Bulk") {
		t.Fatalf("no next page keeping the search: %v", next)
	}
	if !strings.Contains(page, `href="/merchant/payments.csv?q=Bulk"`) {
		t.Error("the export link drops the search")
	}
	_, page = ann.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if count(page) != 1 || !strings.Contains(page, "Bulk 00") {
		t.Errorf("the second page holds %d payments", count(page))
	}
}

// The CSV export, through the API and from the workspace, parses back into what the API's JSON
// says of the same payments: amounts as decimal strings, times in RFC 3339.
func TestExportCSV(t *testing.T) {
	h := e2etest.New(t)
	var ids []string
	for i, ref := range []string{"Order 1", `Order "quoted", with comma`, "Ordre 3; å ä ö"} {
		id, _ := h.CreatePayment(fmt.Sprintf(`"reference":%q,"amount":"%d.05"`, ref, 100+i))
		ids = append(ids, id)
	}
	h.API("POST", "/api/v1/payments/"+ids[0]+"/cancel", "")

	resp, body := h.Get("/api/v1/payments/export", "Authorization", "Bearer "+h.Key)
	e2etest.ExpectCode(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "id,created_at,updated_at,status,amount,currency,reference,end_to_end_id,bank_bic,provider,bank_status" {
		t.Fatalf("header %s", got)
	}
	_, list := h.API("GET", "/api/v1/payments?limit=100", "")
	data := list["data"].([]any)
	if len(rows)-1 != len(data) || len(data) != 3 {
		t.Fatalf("%d rows, %d payments", len(rows)-1, len(data))
	}
	for i, raw := range data {
		p := raw.(map[string]any)
		row := rows[i+1]
		created, _ := time.Parse(time.RFC3339, p["created_at"].(string))
		rowCreated, err := time.Parse(time.RFC3339, row[1])
		if err != nil || !rowCreated.Equal(created.Truncate(time.Second)) {
			t.Errorf("row %d created_at %q, API %v (%v)", i, row[1], p["created_at"], err)
		}
		for col, key := range map[int]string{0: "id", 3: "status", 4: "amount", 5: "currency", 6: "reference"} {
			if row[col] != p[key] {
				t.Errorf("row %d %s: CSV %q, API %q", i, key, row[col], p[key])
			}
		}
	}
	// Filtered: only the cancelled one; a bad time is a 422 problem.
	resp, body = h.Get("/api/v1/payments/export?status=cancelled", "Authorization", "Bearer "+h.Key)
	e2etest.ExpectCode(t, resp, 200)
	if rows, _ := csv.NewReader(strings.NewReader(body)).ReadAll(); len(rows) != 2 || rows[1][0] != ids[0] {
		t.Fatalf("status filter: %v", rows)
	}
	code, prob := h.API("GET", "/api/v1/payments/export?created_after=monday", "")
	if code != 422 || prob["field"] != "created_after" {
		t.Fatalf("bad time: %d %v", code, prob)
	}
	resp, _ = h.Get("/api/v1/payments/export")
	e2etest.ExpectCode(t, resp, 401)

	// The workspace's download is the same file.
	ann := addPerson(h, "ann@example.com", store.RoleViewer)
	ann.signIn()
	resp, wsBody := ann.get("/merchant/payments.csv?" + url.Values{"status": {"cancelled"}}.Encode())
	e2etest.ExpectCode(t, resp, 200)
	if wsBody != body || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("workspace export differs:\n%s\n---\n%s", wsBody, body)
	}
	var probe map[string]any
	if json.Unmarshal([]byte(wsBody), &probe) == nil {
		t.Fatal("the export is JSON")
	}
}
