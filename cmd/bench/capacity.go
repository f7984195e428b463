package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"paybybank/app"
	"paybybank/banks"
	"paybybank/banks/openpayments/openpaymentstest"
)

// The BankID capacity test runs its shoppers, and the bank they wait on (the strict Open Payments
// fake), in a second process (this program with -loadgen), as they are in production: outside the
// server. The server's memory and CPU profile are then its own. The server it measures is a second
// one, configured for that bank as for a real one (no sandbox).
var loadgen = flag.Bool("loadgen", false, "internal: be the shoppers (and their bank) of the capacity test")

// The capacity test's bank credentials: the fake checks them as a bank would.
const benchClientID, benchClientSecret = "bench-client", "bench-secret"

// levelResult is what the shoppers' process reports of one level.
type levelResult struct {
	Shoppers                  int
	Frames, Late, Stale, Errs int64
	FirstErr                  string
	// BankCalls is how many requests the bank had during the hold, HTTP2Calls how many of them
	// came over HTTP/2.
	BankCalls, HTTP2Calls int64
}

func (r levelResult) latePct() float64 {
	return 100 * float64(r.Late) / float64(max(r.Frames+r.Errs, 1))
}

func (r levelResult) stalePct() float64 { return 100 * float64(r.Stale) / float64(max(r.Frames, 1)) }

// onTime: under 1 % of frames late or repeating the second before, and no errors.
func (r levelResult) onTime() bool { return r.latePct() < 1 && r.stalePct() < 1 && r.Errs == 0 }

func levels() []int {
	var out []int
	for _, s := range strings.Split(*shoppers, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// capacity starts the shoppers' process and, while it holds each level, samples this process's
// RSS and profiles its CPU.
func capacity(bench *env) ([]row, string, string) {
	failed := func(err error) ([]row, string, string) {
		return []row{{"BankID shoppers", "not measured: " + err.Error(), "", "", ""}}, "not measured", ""
	}
	cmd := exec.Command(os.Args[0], "-loadgen", "-shoppers", *shoppers, "-hold", holdFor.String())
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return failed(err)
	}
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return failed(err)
	}
	defer cmd.Wait()
	lines := bufio.NewScanner(out)
	// The shoppers' process says where its bank is; the server to measure is then started for it.
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "bank ") {
		return failed(errors.New("the shoppers' process named no bank"))
	}
	bankURL, caFile, _ := strings.Cut(strings.TrimPrefix(lines.Text(), "bank "), " ")
	e, err := serveOn(bench.dir, "capacity.db", func(c *app.Config) {
		c.Providers = map[string]banks.Settings{"openpayments": {"client-id": benchClientID, "client-secret": benchClientSecret,
			"auth-url": bankURL, "api-url": bankURL,
			"ca-file":   caFile, // the bank's own certificate, as a real bank's CA
			"countries": "SE"}}
	})
	if err != nil {
		return failed(err)
	}
	fmt.Fprintln(in, e.base, e.key)
	var rows []row
	var costRow row
	best, profileTop := "not reached at the smallest level", ""
	var prof *os.File
	top := ""
	var peak atomic.Value
	var heapPeak, stackPeak, goPeak atomic.Uint64
	var done chan struct{}
	// The server idle, before any shopper: what a shopper costs is what it adds to this.
	idleRSS, _ := rssMBOf(os.Getpid())
	idleGoroutines := runtime.NumGoroutine()
	var cpuAtHold time.Duration
	var heldSince time.Time
	for lines.Scan() {
		verb, arg, _ := strings.Cut(lines.Text(), " ")
		switch verb {
		case "hold": // the shoppers are all waiting now: measure
			prof, _ = os.CreateTemp("", "qr-cpu-*.pprof")
			if prof != nil {
				pprof.StartCPUProfile(prof)
			}
			mb, _ := rssMBOf(os.Getpid())
			peak.Store(mb)
			heapPeak.Store(0)
			stackPeak.Store(0)
			goPeak.Store(uint64(runtime.NumGoroutine()))
			cpuAtHold, heldSince = processCPU(), time.Now()
			done = make(chan struct{})
			go func(done chan struct{}) {
				for {
					select {
					case <-done:
						return
					case <-time.After(200 * time.Millisecond):
						if mb, err := rssMBOf(os.Getpid()); err == nil {
							peak.Store(max(peak.Load().(float64), mb))
						}
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						heapPeak.Store(max(heapPeak.Load(), ms.HeapInuse>>20))
						stackPeak.Store(max(stackPeak.Load(), ms.StackInuse>>20))
						goPeak.Store(max(goPeak.Load(), uint64(runtime.NumGoroutine())))
					}
				}
			}(done)
		case "result":
			close(done)
			cpu, held := processCPU()-cpuAtHold, time.Since(heldSince)
			if mb, err := rssMBOf(os.Getpid()); err == nil {
				peak.Store(max(peak.Load().(float64), mb))
			}
			if os.Getenv("BENCH_KEEP_PROFILE") != "" {
				if f, err := os.CreateTemp("", "qr-heap-*.pprof"); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
					fmt.Fprintln(os.Stderr, "bench: capacity heap profile kept:", f.Name())
				}
			}
			if prof != nil {
				pprof.StopCPUProfile()
				prof.Close()
				top = topOfProfile(prof.Name())
				if os.Getenv("BENCH_KEEP_PROFILE") == "" {
					os.Remove(prof.Name())
				} else {
					fmt.Fprintln(os.Stderr, "bench: capacity profile kept:", prof.Name())
				}
			}
			var r levelResult
			json.Unmarshal([]byte(arg), &r)
			fmt.Fprintf(os.Stderr, "bench: %d shoppers: at most %d MB heap in use, %d MB stacks, %d goroutines\n",
				r.Shoppers, heapPeak.Load(), stackPeak.Load(), goPeak.Load())
			mb := peak.Load().(float64)
			verdict := "on time"
			rss := fmt.Sprintf("server %.0f MB RSS", mb)
			if mb == 0 {
				rss = "server RSS not read"
			}
			n := float64(max(r.Shoppers, 1))
			cost := fmt.Sprintf("%.0f µs CPU/s, %.0f KB memory, %.2f goroutines, %.2f bank calls/s (%d of %d over HTTP/2) per waiting shopper, at %d shoppers",
				float64(cpu.Microseconds())/held.Seconds()/n, (mb-idleRSS)*1024/n, float64(int(goPeak.Load())-idleGoroutines)/n,
				float64(r.BankCalls)/holdFor.Seconds()/n, r.HTTP2Calls, r.BankCalls, r.Shoppers)
			fmt.Fprintln(os.Stderr, "bench:", cost)
			if !r.onTime() {
				verdict = "frames late"
			} else {
				best = fmt.Sprintf("%d shoppers at once with fresh frames every second, at %.0f MB RSS", r.Shoppers, mb)
				profileTop = top
				costRow = row{"Cost per waiting shopper (the largest level on time; memory and goroutines beyond the idle server's)", cost, "",
					"", "10,000 on 2 cores under 500 MB: ≤ 200 µs CPU/s, ≤ 50 KB, 1 bank call/s"}
			}
			if r.FirstErr != "" {
				fmt.Fprintln(os.Stderr, "bench: shoppers:", r.FirstErr)
			}
			rows = append(rows, row{fmt.Sprintf("%d shoppers on the BankID page at once", r.Shoppers),
				fmt.Sprintf("%.0f frames/s, %.1f %% late, %.1f %% repeated, %d errors, %s", float64(r.Frames)/holdFor.Seconds(),
					r.latePct(), r.stalePct(), r.Errs, rss),
				"", verdict, "no late frames; 10,000 under 500 MB"})
		}
	}
	if costRow.what != "" {
		rows = append(rows, costRow)
	}
	return rows, best, profileTop
}

// rssMBOf reads a process's resident set from /proc/<pid>/status, asking again a few times if
// the reading is missing (a process may show no VmRSS line for a moment): never a made-up 0.
func rssMBOf(pid int) (float64, error) {
	var last error
	for range 5 {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			last = err
		} else {
			last = errors.New("no VmRSS line")
			for l := range strings.SplitSeq(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
					f := strings.Fields(v) // "123456 kB"
					if len(f) == 2 && f[1] == "kB" {
						if kb, err := strconv.ParseFloat(f[0], 64); err == nil && kb > 0 {
							return kb / 1024, nil
						}
					}
					last = fmt.Errorf("VmRSS line %q", l)
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, fmt.Errorf("rss of %d: %w", pid, last)
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// profileParts names the parts of a waiting shopper's second that the report breaks the
// serving process's CPU into (cumulative, so parts nest: the status answer contains our poll).
var profileParts = []struct{ fn, what string }{
	{"net/http.(*conn).serve", "HTTP serving, all of it"},
	{"paybybank/handlers.(*Server).checkoutEvents", "event streams (a frame a second per shopper)"},
	{"paybybank/handlers.(*Server).status", "↳ of which working out each answer"},
	{"paybybank/checkout.(*Service).livePoll", "↳ of which our poll of the bank (HTTP client, JSON)"},
	{"runtime.gcBgMarkWorker", "garbage collection (background)"},
	{"internal/runtime/syscall/linux.Syscall6", "system calls (network reads and writes)"},
}

// topOfProfile breaks a CPU profile down into profileParts, as shares of the samples.
func topOfProfile(name string) string {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=2000", name).Output()
	if err != nil {
		return ""
	}
	var total float64
	cum := map[string]float64{}
	for _, l := range strings.Split(string(out), "\n") {
		if i := strings.Index(l, "Total samples = "); i >= 0 {
			total = seconds(strings.Fields(l[i+len("Total samples = "):])[0])
		}
		f := strings.Fields(l)
		if len(f) >= 6 && strings.HasSuffix(f[4], "%") {
			cum[strings.Join(f[5:], " ")] = seconds(f[3])
		}
	}
	if total == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| part of a waiting shopper's second | share of the serving process's CPU |\n|---|---|\n")
	for _, p := range profileParts {
		fmt.Fprintf(&b, "| %s | %.0f %% |\n", p.what, 100*cum[p.fn]/total)
	}
	return b.String()
}

// seconds reads pprof's "1.23s" or "450ms".
func seconds(s string) float64 {
	if v, ok := strings.CutSuffix(s, "ms"); ok {
		f, _ := strconv.ParseFloat(v, 64)
		return f / 1000
	}
	f, _ := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	return f
}

// shoppersProcess is the -loadgen side: for each level it opens orders up to that many shoppers
// (each with its own cookies), says "hold", holds them for -hold with every shopper listening to
// its page's event stream as live.js does, and says "result" with what it saw. It stops after the
// first level whose frames came late.
func shoppersProcess() {
	bank := openpaymentstest.New(benchClientID, benchClientSecret, nil)
	bank.StartTimeout = time.Hour // shoppers here wait longer than BankID's 30 s
	// The bank speaks TLS with HTTP/2, as production banks do: many polls share a connection.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bankCalls.Add(1)
		if r.ProtoMajor == 2 {
			bankHTTP2.Add(1)
		}
		bank.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	bank.BaseURL = srv.URL
	ca, err := os.CreateTemp("", "bench-bank-ca-*.pem")
	if err == nil {
		err = pem.Encode(ca, &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		ca.Close()
		defer os.Remove(ca.Name())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: shoppers:", err)
		return
	}
	fmt.Println("bank", bank.BaseURL, ca.Name())
	var base, key string
	if _, err := fmt.Scanln(&base, &key); err != nil {
		fmt.Fprintln(os.Stderr, "bench: shoppers: no server named:", err)
		return
	}
	e := &env{base: base, key: key, client: newClient(false)}
	var paths []string
	var clients []*http.Client
	failures := 0
	for _, k := range levels() {
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for len(paths) < k {
			if failures > k {
				fmt.Fprintln(os.Stderr, "bench: shoppers: too many orders failed to open; giving up")
				return
			}
			need := k - len(paths)
			for range need {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					// A browser of its own: its own cookies and its own connection, as a shopper's
					// phone or computer has (a shared pool would let shoppers share connections).
					c := newClient(true)
					c.Transport = &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
					p, err := e.createPayment(c)
					if err == nil {
						err = e.startBankID(c, p)
					}
					mu.Lock()
					if err == nil {
						paths, clients = append(paths, p), append(clients, c)
					} else {
						failures++
						if failures == 1 {
							fmt.Fprintln(os.Stderr, "bench: shoppers: opening an order:", err)
						}
					}
					mu.Unlock()
				}()
			}
			wg.Wait()
		}
		fmt.Println("hold", k)
		calls, h2 := bankCalls.Load(), bankHTTP2.Load()
		r := hold(e, paths[:k], clients[:k], *holdFor)
		r.BankCalls, r.HTTP2Calls = bankCalls.Load()-calls, bankHTTP2.Load()-h2
		b, _ := json.Marshal(r)
		fmt.Println("result", string(b))
		if !r.onTime() {
			return
		}
	}
}

// bankCalls and bankHTTP2 count the requests the capacity test's bank has had, and those over HTTP/2.
var bankCalls, bankHTTP2 atomic.Int64

// hold keeps the shoppers waiting for -hold, each listening to its page's event stream as live.js
// does, and counts late frames (event n after second n of the stream is over), repeated ones (the
// same payload as the second before) and errors.
func hold(e *env, paths []string, clients []*http.Client, holdFor time.Duration) levelResult {
	var frames, late, stale, errs atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), holdFor)
	defer cancel()
	var wg sync.WaitGroup
	for i := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, p := clients[i], paths[i]
			time.Sleep(time.Duration(i) * time.Second / time.Duration(len(paths))) // shoppers arrive spread over a second
			req, _ := http.NewRequestWithContext(ctx, "GET", e.base+p+"/events?page=bankid", nil)
			stream := *c
			stream.Timeout = 0 // the stream lasts the hold; ctx ends it
			resp, err := stream.Do(req)
			if err != nil {
				fail(err)
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				fail(fmt.Errorf("events: %d", resp.StatusCode))
				return
			}
			lines := bufio.NewScanner(resp.Body)
			var start time.Time
			n, prev := 0, ""
			for lines.Scan() {
				data, ok := strings.CutPrefix(lines.Text(), "data: ")
				if !ok {
					continue
				}
				var s statusAnswer
				if err := json.Unmarshal([]byte(data), &s); err != nil || s.QRData == "" {
					fail(fmt.Errorf("event without a QR payload: %s", data))
					return
				}
				now := time.Now()
				if n == 0 {
					start = now
				} else if now.Sub(start) > time.Duration(n+1)*time.Second {
					late.Add(1)
				}
				frames.Add(1)
				if s.QRData == prev {
					stale.Add(1)
				}
				prev = s.QRData
				n++
			}
			if ctx.Err() == nil {
				fail(errors.New("the stream ended before the hold did"))
			}
		}()
	}
	wg.Wait()
	r := levelResult{Shoppers: len(paths), Frames: frames.Load(), Late: late.Load(), Stale: stale.Load(), Errs: errs.Load()}
	if v, ok := firstErr.Load().(string); ok {
		r.FirstErr = v
	}
	return r
}
