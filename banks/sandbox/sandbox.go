// Package sandbox mounts every provider's fake under /sandbox, so that `make run` shows each
// bank's real wire protocol offline, with a simulated bank page and a simulated BankID app.
package sandbox

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"html/template"
	"image"
	_ "image/jpeg" // uploaded photos of a QR code
	_ "image/png"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"paybybank/banks/httpsig"
	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/banks/paysera/payseratest"
	"paybybank/banks/powens/powenstest"
	"paybybank/banks/sbm/sbmtest"
	"paybybank/banks/sibs/sibstest"
)

// Credentials of the sandbox's Open Payments client.
const (
	ClientID     = "sandbox-client"
	ClientSecret = "sandbox-secret"
)

// Sandbox is the /sandbox subtree.
type Sandbox struct {
	OpenPayments *openpaymentstest.Fake
	Powens       *powenstest.Fake
	// SBM are the Norwegian savings banks on the Sparebanken Møre platform, by path slug; SBMCert
	// and SBMKey are the certificate the sandbox's connector signs with, made at start.
	SBM     map[string]*sbmtest.Fake
	SBMCert *x509.Certificate
	SBMKey  *rsa.PrivateKey
	// Paysera's API runs on its own mutual-TLS listener; PayseraClient holds our client certificate.
	SIBS          *sibstest.Fake
	Paysera       *payseratest.Fake
	PayseraAPIURL string
	PayseraClient *http.Client
	closers       []func() error
	publicURL     string
	// StateFile, when set, keeps the fake banks' memory across restarts of the server, as a
	// real bank keeps its own: `kill -9` in the middle of a payment then resumes it.
	StateFile string
	saveMu    sync.Mutex
}

// New builds the sandbox for a server reached at publicURL, whose callback it registers.
func New(publicURL string) *Sandbox {
	op := openpaymentstest.New(ClientID, ClientSecret, nil)
	op.BaseURL = publicURL + "/sandbox/openpayments"
	op.RedirectURIs = []string{publicURL + "/callback"}
	pw := powenstest.New(ClientID, ClientSecret)
	pw.RedirectURIs = []string{publicURL + "/callback"}
	sb := &Sandbox{OpenPayments: op, Powens: pw, publicURL: publicURL, SBM: map[string]*sbmtest.Fake{}}
	sb.SBMCert, sb.SBMKey, _ = httpsig.NewTestCertificate("paybybank sandbox")
	for _, b := range SBMBanks {
		f := sbmtest.New(b.Name)
		f.BaseURL = publicURL + "/sandbox/sbm/" + b.Slug
		f.Trust(sb.SBMCert)
		sb.SBM[b.Slug] = f
	}
	sb.SIBS = sibstest.New(ClientID)
	sb.SIBS.PageURL = publicURL + "/sandbox/sibs"
	sb.SIBS.Trust(sb.SBMCert)
	sb.Paysera = payseratest.New(ClientID)
	sb.Paysera.PageURL = publicURL + "/sandbox/paysera"
	sb.Paysera.RedirectURIs = []string{publicURL + "/callback"}
	if err := sb.startPaysera(); err != nil {
		sb.Paysera = nil // no TLS listener: the sandbox goes on without Paysera
	}
	return sb
}

// SBMBanks are the sandbox's banks on the Sparebanken Møre platform.
var SBMBanks = []struct{ Slug, BIC, Name string }{
	{"more", "SPMONO22", "Sparebanken Møre"},
	{"sunnmore", "SOSUNO22", "Søre Sunnmøre Sparebank"},
}

// OpenPaymentsURL is the fake platform's base URL, for both the auth and API hosts.
func (s *Sandbox) OpenPaymentsURL() string { return s.publicURL + "/sandbox/openpayments" }

// BankIDAppURL is the simulated BankID app, standing in for https://app.bankid.com/.
func (s *Sandbox) BankIDAppURL() string { return s.publicURL + "/sandbox/bankid/app" }

// Load reads the fake banks' memory from StateFile, if it exists.
func (s *Sandbox) Load() error {
	if s.StateFile == "" {
		return nil
	}
	data, err := os.ReadFile(s.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	return s.OpenPayments.Restore(data)
}

// save writes the fake banks' memory after every request that may have changed it.
func (s *Sandbox) save() {
	if s.StateFile == "" {
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	data, err := s.OpenPayments.Snapshot()
	if err != nil {
		return
	}
	tmp := s.StateFile + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		os.Rename(tmp, s.StateFile)
	}
}

// ServeHTTP serves /sandbox/….
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.save()
	mux := http.NewServeMux()
	mux.Handle("/sandbox/openpayments/", http.StripPrefix("/sandbox/openpayments", s.OpenPayments))
	mux.Handle("/sandbox/powens/", http.StripPrefix("/sandbox/powens", s.Powens))
	mux.Handle("/sandbox/sibs/", http.StripPrefix("/sandbox/sibs", s.SIBS))
	if s.Paysera != nil {
		mux.Handle("/sandbox/paysera/", http.StripPrefix("/sandbox/paysera", s.Paysera.PageHandler()))
	}
	for slug, f := range s.SBM {
		mux.Handle("/sandbox/sbm/"+slug+"/", http.StripPrefix("/sandbox/sbm/"+slug, f))
	}
	mux.HandleFunc("GET /sandbox/bankid", s.app)
	mux.HandleFunc("POST /sandbox/bankid/scan", s.scan)
	mux.HandleFunc("GET /sandbox/bankid/app", s.autostart)
	mux.HandleFunc("POST /sandbox/bankid/sign", s.sign)
	mux.ServeHTTP(w, r)
}

var appTmpl = template.Must(template.New("app").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>BankID (sandbox)</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">BankID · simulated app</span></header><main id="main" class="card">
<p class="sandbox">This stands in for the BankID app on the shopper's phone. No real BankID is used.</p>
{{if .Error}}<div class="alert bad" role="alert">{{.Error}}</div>{{end}}
{{if .Order}}
<h1>Sign payment</h1>
<dl class="order"><dd class="amount">{{.Order.Amount}} {{.Order.Currency}}</dd><dt>To</dt><dd>{{.Order.CreditorName}}</dd><dt>Message</dt><dd>{{.Order.Reference}}</dd><dt>Bank</dt><dd>{{.Order.Bank}}</dd></dl>
<form method="post" action="/sandbox/bankid/sign" class="actions">
<input type="hidden" name="ref" value="{{.Order.Ref}}"><input type="hidden" name="redirect" value="{{.Redirect}}">
<label for="code">Security code</label><input id="code" name="code" value="123456" inputmode="numeric" class="code">
<button class="btn" name="decision" value="approve" type="submit">Sign</button>
<button class="btn secondary" name="decision" value="decline" type="submit">Cancel</button>
</form>
{{else if .Done}}<h1>{{.Done}}</h1><p>Go back to the checkout: it has moved on by itself.</p>
{{else}}
<h1>Scan QR code</h1>
<p>Paste the QR code's content (it starts with <code>bankid.</code>), or upload a picture of it.</p>
<form method="post" action="/sandbox/bankid/scan" enctype="multipart/form-data" class="actions">
<label for="payload">QR code content</label><textarea id="payload" name="payload"></textarea>
<label for="picture">or a picture of the QR code</label><input id="picture" type="file" name="picture" accept="image/png,image/jpeg">
<button class="btn" type="submit">Scan</button>
</form>{{end}}
</main></div></body></html>`))

type appPage struct {
	Error    string
	Order    *openpaymentstest.Order
	Redirect string
	Done     string
}

func (s *Sandbox) render(w http.ResponseWriter, status int, p appPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	appTmpl.Execute(w, p)
}

func (s *Sandbox) app(w http.ResponseWriter, r *http.Request) { s.render(w, 200, appPage{}) }

// scan reads the payload from the form or decodes it from an uploaded picture, as the app's camera would.
func (s *Sandbox) scan(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseMultipartForm(4 << 20); err != nil && err != http.ErrNotMultipart {
		s.render(w, 400, appPage{Error: "Could not read the upload."})
		return
	}
	payload := strings.TrimSpace(r.FormValue("payload"))
	if payload == "" {
		f, _, err := r.FormFile("picture")
		if err != nil {
			s.render(w, 400, appPage{Error: "Paste the QR code's content or upload a picture of it."})
			return
		}
		defer f.Close()
		if payload, err = decodeQR(f); err != nil {
			s.render(w, 400, appPage{Error: "No QR code found in the picture."})
			return
		}
	}
	order, err := s.OpenPayments.ScanQR(payload)
	if err != nil {
		s.render(w, 400, appPage{Error: err.Error()})
		return
	}
	s.render(w, 200, appPage{Order: &order})
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
		s.render(w, 400, appPage{Error: err.Error()})
		return
	}
	s.render(w, 200, appPage{Order: &order, Redirect: q.Get("redirect")})
}

func (s *Sandbox) sign(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	approve := r.PostForm.Get("decision") == "approve"
	if err := s.OpenPayments.Sign(r.PostForm.Get("ref"), approve); err != nil {
		s.render(w, 400, appPage{Error: err.Error()})
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
	done := "Signed"
	if !approve {
		done = "Cancelled"
	}
	s.render(w, 200, appPage{Done: done})
}
