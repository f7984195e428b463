package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"paybybank/banks"
)

// counter is a tiny stateful fake bank: POST /inc and GET /tick add one, POST /same and GET /
// change nothing.
type counter struct {
	mu sync.Mutex
	N  int `json:"n"`
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Method + " " + r.URL.Path {
	case "POST /inc", "GET /tick":
		c.N++
	case "POST /same", "GET /":
	default:
		http.NotFound(w, r)
		return
	}
	fmt.Fprint(w, c.N)
}

func (c *counter) Snapshot() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return json.Marshal(c)
}

func (c *counter) Restore(data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return json.Unmarshal(data, c)
}

func counterRegistration() banks.Registration {
	return banks.Registration{Name: "counter", Sandbox: func(banks.SandboxDeps) (*banks.Fake, error) {
		c := &counter{}
		return &banks.Fake{Handler: c, Bank: c, State: c}, nil
	}}
}

func newSandbox(t *testing.T, stateFile string, regs ...banks.Registration) *Sandbox {
	t.Helper()
	s, err := New(Config{PublicURL: "http://pay.example", Providers: regs, StateFile: stateFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// burst sends n requests at once and checks each answer's status.
func burst(t *testing.T, s *Sandbox, n int, method, path string, want int) {
	t.Helper()
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	for _, c := range codes {
		if c != want {
			t.Fatalf("%s %s: status %d, want %d", method, path, c, want)
		}
	}
}

func TestRoutesBuiltOnce(t *testing.T) {
	s := newSandbox(t, "", counterRegistration())
	burst(t, s, 50, "GET", "/sandbox/counter/", 200)
	burst(t, s, 50, "POST", "/sandbox/counter/inc", 200)
	if s.routesBuilt != 1 {
		t.Fatalf("the mux was built %d times for 100 requests, want once", s.routesBuilt)
	}
	if got := s.Bank("counter").(*counter).N; got != 50 {
		t.Fatalf("counter %d after 50 increments: the requests did not reach one fake", got)
	}
}

func TestStateWrites(t *testing.T) {
	tests := []struct {
		name         string
		n            int
		method, path string
		wait         bool // wait for a delayed save
		wantWrites   int64
		wantN        int // in the state file; -1: no file
	}{
		{"PollsWriteNothing", 50, "GET", "/sandbox/counter/", true, 0, -1},
		{"UnchangedPOSTsWriteNothing", 20, "POST", "/sandbox/counter/same", false, 0, -1},
		{"ChangeWrittenBeforeTheAnswer", 1, "POST", "/sandbox/counter/inc", false, 1, 1},
		{"ChangingGETsCoalesce", 30, "GET", "/sandbox/counter/tick", true, 1, 30},
		{"UnknownPathWritesNothing", 10, "POST", "/sandbox/nobank/x", false, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "sandbox-banks.json")
			s := newSandbox(t, file, counterRegistration())
			status := 200
			if tt.path == "/sandbox/nobank/x" {
				status = 404
			}
			burst(t, s, tt.n, tt.method, tt.path, status)
			if tt.wait {
				time.Sleep(3 * saveDelay)
			}
			if got := s.writes.Load(); got != tt.wantWrites {
				t.Fatalf("%d state-file writes after %d × %s %s, want %d", got, tt.n, tt.method, tt.path, tt.wantWrites)
			}
			data, err := os.ReadFile(file)
			if tt.wantN < 0 {
				if !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("state file written: %s %v", data, err)
				}
				return
			}
			var doc struct{ Counter counter }
			if err != nil || json.Unmarshal(data, &doc) != nil || doc.Counter.N != tt.wantN {
				t.Fatalf("state file %s (%v), want counter %d", data, err, tt.wantN)
			}
		})
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox-banks.json")
	first := newSandbox(t, file, counterRegistration())
	burst(t, first, 3, "POST", "/sandbox/counter/inc", 200)
	// As after kill -9: the first sandbox is never closed.
	second := newSandbox(t, file, counterRegistration())
	if got := second.Bank("counter").(*counter).N; got != 3 {
		t.Fatalf("restored counter %d, want 3", got)
	}
	burst(t, second, 5, "GET", "/sandbox/counter/", 200)
	second.Close()
	if got := second.writes.Load(); got != 0 {
		t.Fatalf("%d writes of a restored, unchanged state", got)
	}
}

func TestMount(t *testing.T) {
	broken := banks.Registration{Name: "broken", Sandbox: func(banks.SandboxDeps) (*banks.Fake, error) {
		return nil, errors.New("no listener")
	}}
	var got banks.SandboxDeps
	seen := banks.Registration{Name: "seen", Sandbox: func(d banks.SandboxDeps) (*banks.Fake, error) {
		got = d
		return &banks.Fake{Handler: http.NotFoundHandler(), Bank: "seen", Connect: func(self string, _ banks.Deps) (banks.Provider, error) {
			return nil, errors.New("connected to " + self)
		}}, nil
	}}
	realOnly := banks.Registration{Name: "realonly"}
	s := newSandbox(t, "", broken, seen, realOnly)
	if got.PublicURL != "http://pay.example" || got.ClientID != ClientID || got.SigningCert == nil || got.SigningKey == nil {
		t.Fatalf("fake made with %+v", got)
	}
	tests := []struct {
		name    string
		bank    any
		ok      bool
		wantErr string
	}{
		{"broken", nil, false, ""},
		{"seen", "seen", true, "connected to http://self"},
		{"realonly", nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b := s.Bank(tt.name); b != tt.bank {
				t.Fatalf("Bank = %v, want %v", b, tt.bank)
			}
			_, ok, err := s.Connect(tt.name, "http://self", banks.Deps{})
			if ok != tt.ok || (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Fatalf("Connect = %v, %v; want %v, %q", ok, err, tt.ok, tt.wantErr)
			}
		})
	}
	if s.OpenPayments != nil || s.SignsBankID("seen") {
		t.Fatal("the BankID app is on without the Open Payments fake")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/sandbox/bankid", nil).WithContext(context.Background()))
	if rec.Code != 404 {
		t.Fatalf("BankID app without its bank: %d", rec.Code)
	}
}
