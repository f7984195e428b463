// Package sandbox mounts every registered provider's fake bank under /sandbox/<name>/, so that
// `make run` shows each bank's real wire protocol offline, with the simulated BankID app that signs
// the Open Payments fake's BankID orders. The fakes are made and mounted once, when the sandbox is
// built, and their memory is written to a state file when it changes, so that `kill -9` of the
// server in the middle of a payment resumes it, as a real bank keeps its own memory.
package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"image"
	_ "image/jpeg" // uploaded photos of a QR code
	_ "image/png"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"paybybank/banks"
	"paybybank/banks/httpsig"
	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/i18n"
)

// Credentials of the sandbox's client at every fake bank.
const (
	ClientID     = "sandbox-client"
	ClientSecret = "sandbox-secret"
)

// saveDelay is how long a write of the state file waits after a request that cannot have changed
// the fakes on purpose (GET, HEAD), so that a page polling a fake costs no write: a change such a
// request makes (a fake advancing with time) is derived from state that is already written.
const saveDelay = 250 * time.Millisecond

// Config is what the sandbox is built from.
type Config struct {
	// PublicURL is where shoppers reach the server (and so the fakes' pages).
	PublicURL string
	// Providers are the registrations whose fakes to mount (those without Sandbox are skipped).
	Providers []banks.Registration
	// StateFile, when set, keeps the fakes' memory across restarts of the server.
	StateFile string
	// Logger reports a fake that could not start; nil discards.
	Logger *slog.Logger
	// Now is the server's clock, handed to the fakes (banks.SandboxDeps.Now); nil: time.Now.
	Now func() time.Time
}

// Sandbox is the /sandbox subtree.
type Sandbox struct {
	// OpenPayments is the Open Payments fake, whose BankID orders the simulated BankID app scans
	// and signs; nil when it is not mounted.
	OpenPayments *openpaymentstest.Fake
	bankIDName   string
	fakes        map[string]*banks.Fake
	handler      http.Handler
	publicURL    string

	stateFile string
	saveMu    sync.Mutex
	saved     []byte // what the state file holds
	timerMu   sync.Mutex
	timer     *time.Timer // a pending delayed save
	closed    bool

	// routesBuilt and writes count mux constructions and state-file writes, for tests.
	routesBuilt int
	writes      atomic.Int64
}

// New makes every registered provider's fake, mounts it, and reads the fakes' memory from the
// state file if there is one. A fake that cannot start (Paysera's needs a TLS listener) is left
// out and logged: the sandbox goes on without it.
func New(c Config) (*Sandbox, error) {
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cert, key, err := httpsig.NewTestCertificate("paybybank sandbox")
	if err != nil {
		return nil, fmt.Errorf("sandbox signing certificate: %w", err)
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	deps := banks.SandboxDeps{Now: now, PublicURL: c.PublicURL, ClientID: ClientID, ClientSecret: ClientSecret, SigningCert: cert, SigningKey: key}
	s := &Sandbox{fakes: map[string]*banks.Fake{}, publicURL: c.PublicURL, stateFile: c.StateFile}
	for _, r := range c.Providers {
		if r.Sandbox == nil {
			continue
		}
		f, err := r.Sandbox(deps)
		if err != nil {
			logger.Warn("sandbox bank unavailable", slog.String("provider", r.Name), slog.String("error", err.Error()))
			continue
		}
		s.fakes[r.Name] = f
		if op, ok := f.Bank.(*openpaymentstest.Fake); ok {
			s.OpenPayments, s.bankIDName = op, r.Name
		}
	}
	s.handler = s.routes()
	if err := s.load(); err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox state %s: %w", c.StateFile, err)
	}
	return s, nil
}

// routes mounts the fakes and the simulated BankID app, once.
func (s *Sandbox) routes() http.Handler {
	s.routesBuilt++
	mux := http.NewServeMux()
	for name, f := range s.fakes {
		prefix := "/sandbox/" + name
		mux.Handle(prefix+"/", http.StripPrefix(prefix, f.Handler))
	}
	if s.OpenPayments != nil {
		mux.HandleFunc("GET /sandbox/bankid", s.app)
		mux.HandleFunc("POST /sandbox/bankid/scan", s.scan)
		mux.HandleFunc("GET /sandbox/bankid/app", s.autostart)
		mux.HandleFunc("POST /sandbox/bankid/sign", s.sign)
	}
	return mux
}

// Bank is the fake mounted for the provider name (its Fake.Bank), or nil.
func (s *Sandbox) Bank(name string) any {
	if f, ok := s.fakes[name]; ok {
		return f.Bank
	}
	return nil
}

// Connect builds the connector of the provider name against its fake; ok is false when the
// sandbox has no fake for it. selfURL is how the server reaches itself (loopback).
func (s *Sandbox) Connect(name, selfURL string, d banks.Deps) (p banks.Provider, ok bool, err error) {
	f, ok := s.fakes[name]
	if !ok {
		return nil, false, nil
	}
	p, err = f.Connect(selfURL, d)
	return p, true, err
}

// SignsBankID reports whether the simulated BankID app signs the orders of the provider name's
// fake, so that the checkout sends phones to BankIDAppURL rather than the real app.
func (s *Sandbox) SignsBankID(name string) bool { return s.bankIDName != "" && s.bankIDName == name }

// OpenPaymentsURL is the fake platform's base URL, for both the auth and API hosts.
func (s *Sandbox) OpenPaymentsURL() string { return s.publicURL + "/sandbox/openpayments" }

// BankIDAppURL is the simulated BankID app, standing in for https://app.bankid.com/.
func (s *Sandbox) BankIDAppURL() string { return s.publicURL + "/sandbox/bankid/app" }

// ServeHTTP serves /sandbox/…, then keeps the state file up to date: at once after a request
// that may change a fake (the shopper's decision at the bank, an API call), so that the state is
// on disk before the answer is; a little later after a GET, coalescing a page's polls into one
// look at the state.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
	if s.stateFile == "" {
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		s.saveSoon()
		return
	}
	s.save()
}

// load reads the fakes' memory from the state file, if it exists: a JSON object of each stateful
// fake's snapshot by provider name.
func (s *Sandbox) load() error {
	if s.stateFile == "" {
		return nil
	}
	data, err := os.ReadFile(s.stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		s.saved, err = s.snapshot() // fresh fakes: nothing to write until they change
		return err
	} else if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	for name, f := range s.fakes {
		if f.State == nil || doc[name] == nil {
			continue
		}
		if err := f.State.Restore(doc[name]); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	s.saved, err = s.snapshot()
	return err
}

// snapshot is the state file's content for the fakes' memory now.
func (s *Sandbox) snapshot() ([]byte, error) {
	doc := map[string]json.RawMessage{}
	for name, f := range s.fakes {
		if f.State == nil {
			continue
		}
		data, err := f.State.Snapshot()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		doc[name] = data
	}
	return json.Marshal(doc) // keys sorted: equal memory, equal bytes
}

// save writes the state file if the fakes' memory differs from what it holds.
func (s *Sandbox) save() {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	data, err := s.snapshot()
	if err != nil || bytes.Equal(data, s.saved) {
		return
	}
	tmp := s.stateFile + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil && os.Rename(tmp, s.stateFile) == nil {
		s.saved = data
		s.writes.Add(1)
	}
}

// saveSoon saves after saveDelay, unless a save is already pending.
func (s *Sandbox) saveSoon() {
	s.timerMu.Lock()
	defer s.timerMu.Unlock()
	if s.timer != nil || s.closed {
		return
	}
	s.timer = time.AfterFunc(saveDelay, func() {
		s.timerMu.Lock()
		s.timer = nil
		s.timerMu.Unlock()
		s.save()
	})
}

// Close writes what is pending and stops what the fakes run besides their handlers.
func (s *Sandbox) Close() {
	s.timerMu.Lock()
	s.closed = true
	if s.timer != nil && s.timer.Stop() {
		s.timer = nil
	}
	s.timerMu.Unlock()
	if s.stateFile != "" {
		s.save()
	}
	for _, f := range s.fakes {
		if f.Close != nil {
			f.Close()
		}
	}
}

var appTmpl = template.Must(template.New("app").Parse(`<!doctype html>
<html lang="{{.L.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.L.Fill "sandbox.title" "name" "BankID"}}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">{{.L.T "sandbox.app.name"}}</span></header><main id="main" class="card">
<p class="sandbox">{{.L.T "sandbox.app.note"}}</p>
{{if .Error}}<div class="alert bad" role="alert">{{.L.T .Error}}{{if .Detail}} <span lang="en">({{.Detail}})</span>{{end}}</div>{{end}}
{{with .Order}}
{{if .Consent}}<h1>{{$.L.T "sandbox.app.identify.heading"}}</h1>
<p>{{$.L.Fill "sandbox.app.identify.text" "bank" .Bank}}</p>
{{else}}<h1>{{$.L.T "sandbox.app.sign.heading"}}</h1>
<dl class="order"><dd class="amount">{{$.L.Amount .Amount .Currency}}</dd><dt>{{$.L.T "order.to"}}</dt><dd>{{.CreditorName}}</dd><dt>{{$.L.T "order.reference"}}</dt><dd>{{.Reference}}</dd><dt>{{$.L.T "receipt.bank"}}</dt><dd>{{.Bank}}</dd></dl>
{{end}}
<form method="post" action="/sandbox/bankid/sign" class="actions">
<input type="hidden" name="ref" value="{{.Ref}}"><input type="hidden" name="redirect" value="{{$.Redirect}}">
<label for="code">{{$.L.T "sandbox.app.code"}}</label><input id="code" name="code" value="123456" inputmode="numeric" class="code">
<button class="btn" name="decision" value="approve" type="submit">{{if .Consent}}{{$.L.T "sandbox.app.identify"}}{{else}}{{$.L.T "sandbox.app.sign"}}{{end}}</button>
<button class="btn secondary" name="decision" value="decline" type="submit">{{$.L.T "sandbox.app.cancel"}}</button>
</form>
{{else}}{{if .Done}}<h1>{{.L.T .Done}}</h1><p>{{.L.T "sandbox.app.back"}}</p>
{{else}}
<h1>{{.L.T "sandbox.app.scan.heading"}}</h1>
<p>{{.ScanBefore}}<code>bankid.</code>{{.ScanAfter}}</p>
<form method="post" action="/sandbox/bankid/scan" enctype="multipart/form-data" class="actions">
<label for="payload">{{.L.T "sandbox.app.scan.payload"}}</label><textarea id="payload" name="payload"></textarea>
<label for="picture">{{.L.T "sandbox.app.scan.picture"}}</label><input id="picture" type="file" name="picture" accept="image/png,image/jpeg">
<button class="btn" type="submit">{{.L.T "sandbox.app.scan.button"}}</button>
</form>{{end}}{{end}}
</main></div></body></html>`))

// appPage is what the simulated BankID app shows. Error and Done are catalogue keys; Detail is the
// fake's own account of a refused order, for the developer, shown on English pages only.
type appPage struct {
	L        *i18n.Localizer
	Error    string
	Detail   string
	Order    *openpaymentstest.Order
	Redirect string
	Done     string
	// ScanBefore and ScanAfter are the scan page's instruction around the QR code's prefix.
	ScanBefore, ScanAfter string
}

func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, p appPage) {
	p.L = i18n.ForRequest(r)
	if p.L.Lang != "en" {
		p.Detail = ""
	}
	p.ScanBefore, p.ScanAfter, _ = strings.Cut(p.L.T("sandbox.app.scan.text"), "{code}")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	appTmpl.Execute(w, p)
}

func (s *Sandbox) app(w http.ResponseWriter, r *http.Request) { s.render(w, r, 200, appPage{}) }

// scan reads the payload from the form or decodes it from an uploaded picture, as the app's camera would.
func (s *Sandbox) scan(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseMultipartForm(4 << 20); err != nil && err != http.ErrNotMultipart {
		s.render(w, r, 400, appPage{Error: "sandbox.app.err.upload"})
		return
	}
	payload := strings.TrimSpace(r.FormValue("payload"))
	if payload == "" {
		f, _, err := r.FormFile("picture")
		if err != nil {
			s.render(w, r, 400, appPage{Error: "sandbox.app.err.empty"})
			return
		}
		defer f.Close()
		if payload, err = decodeQR(f); err != nil {
			s.render(w, r, 400, appPage{Error: "sandbox.app.err.noqr"})
			return
		}
	}
	order, err := s.OpenPayments.ScanQR(payload)
	if err != nil {
		s.render(w, r, 400, appPage{Error: "sandbox.app.err.order", Detail: err.Error()})
		return
	}
	s.render(w, r, 200, appPage{Order: &order})
}

func decodeQR(f io.Reader) (string, error) { return DecodeQR(f) }

// DecodeQR reads a QR code from a PNG or JPEG picture, as a phone's camera would: first looking
// for it anywhere in the picture, then taking the picture as the code itself.
func DecodeQR(r io.Reader) (string, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(r, 8<<20)); err != nil {
		return "", err
	}
	img, _, err := image.Decode(&buf)
	if err != nil {
		return "", err
	}
	if b := img.Bounds(); b.Dx() < 200 {
		img = upscale(img, 200/b.Dx()+1) // a camera sees the code larger than one pixel a module
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	reader := gozxingqr.NewQRCodeReader()
	res, err := reader.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		res, err = reader.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	}
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func upscale(img image.Image, k int) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			out.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}

// autostart is the app opened by a link with an autostart token, as on the shopper's phone.
func (s *Sandbox) autostart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	order, err := s.OpenPayments.Autostart(q.Get("autostarttoken"))
	if err != nil {
		s.render(w, r, 400, appPage{Error: "sandbox.app.err.order", Detail: err.Error()})
		return
	}
	s.render(w, r, 200, appPage{Order: &order, Redirect: q.Get("redirect")})
}

func (s *Sandbox) sign(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	approve := r.PostForm.Get("decision") == "approve"
	if err := s.OpenPayments.Sign(r.PostForm.Get("ref"), approve); err != nil {
		s.render(w, r, 400, appPage{Error: "sandbox.app.err.order", Detail: err.Error()})
		return
	}
	// Like the real app, go back to where the shopper came from when a redirect was given;
	// only to our own checkout, so the sandbox is no open redirect.
	if red := r.PostForm.Get("redirect"); red != "" && red != "null" {
		if u, err := url.Parse(red); err == nil && strings.HasPrefix(red, s.publicURL+"/checkout/") && u.User == nil {
			http.Redirect(w, r, red, http.StatusSeeOther)
			return
		}
	}
	done := "sandbox.app.signed"
	if !approve {
		done = "sandbox.app.cancelled"
	}
	s.render(w, r, 200, appPage{Done: done})
}
