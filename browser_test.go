package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"paybybank/banks/bankid"
)

// The browser tests drive Debian's Chromium through chromedp. Without Chromium they say so loudly
// and skip, except in CI (CI=true), where a missing browser fails the run.

const chromiumPath = "/usr/bin/chromium"

var (
	browserOnce  sync.Once
	browserAlloc context.Context
	browserStop  context.CancelFunc
	browserErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if browserStop != nil {
		browserStop()
	}
	os.Exit(code)
}

func needBrowser(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(func() {
		path := chromiumPath
		if p := os.Getenv("CHROMIUM"); p != "" {
			path = p
		}
		if _, err := exec.LookPath(path); err != nil {
			browserErr = fmt.Errorf("no Chromium at %s (apt-get install chromium)", path)
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.DisableGPU, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.NoFirstRun)
		browserAlloc, browserStop = chromedp.NewExecAllocator(context.Background(), opts...)
	})
	if browserErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium in CI: %v", browserErr)
		}
		t.Skipf("SKIPPING BROWSER TEST: %v", browserErr)
	}
	return browserAlloc
}

// tab is one browser tab on the harness's server.
type tab struct {
	t   *testing.T
	h   *harness
	ctx context.Context
}

const (
	phoneUA   = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
	desktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)

type tabOption struct {
	phone     bool
	width     int64
	height    int64
	noScript  bool
	userAgent string
}

func newTab(t *testing.T, h *harness, o tabOption) *tab {
	t.Helper()
	alloc := needBrowser(t)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancel2 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel2)
	if o.width == 0 {
		o.width, o.height = 1024, 800
	}
	ua := desktopUA
	if o.phone {
		ua = phoneUA
	}
	if o.userAgent != "" {
		ua = o.userAgent
	}
	actions := []chromedp.Action{emulation.SetUserAgentOverride(ua)}
	if o.phone {
		actions = append(actions, chromedp.EmulateViewport(o.width, o.height, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	} else {
		actions = append(actions, chromedp.EmulateViewport(o.width, o.height))
	}
	if o.noScript {
		actions = append(actions, emulation.SetScriptExecutionDisabled(true))
	}
	tb := &tab{t: t, h: h, ctx: ctx}
	tb.run(actions...)
	return tb
}

func (b *tab) run(actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		var loc string
		chromedp.Run(b.ctx, chromedp.Location(&loc))
		var body string
		chromedp.Run(b.ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &body))
		b.t.Fatalf("browser: %v\nat %s\n%s", err, loc, body)
	}
}

// click taps a button or link with a real mouse event. The navigation it starts may cut the
// call short; the next wait finds out whether the click did what it should.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.run(chromedp.WaitVisible(sel, chromedp.ByQuery))
	if err := chromedp.Run(b.ctx, chromedp.Click(sel, chromedp.ByQuery)); err != nil && !navigationCut(err) {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

func navigationCut(err error) bool {
	s := err.Error()
	return strings.Contains(s, "navigated or closed") || strings.Contains(s, "Cannot find context") || strings.Contains(s, "context with specified id")
}

// back and reload act as the browser's buttons do; they do not wait for a load event, which a
// page restored from the back-forward cache never fires, but for the next page to be there.
func (b *tab) back() {
	b.t.Helper()
	before := b.location()
	chromedp.Run(b.ctx, chromedp.Evaluate(`history.back()`, nil))
	b.waitTrue(fmt.Sprintf(`location.href !== %q && document.readyState === "complete"`, before))
}

func (b *tab) reload() {
	b.t.Helper()
	chromedp.Run(b.ctx, chromedp.Evaluate(`window.__reloaded = true; location.reload()`, nil))
	b.waitTrue(`!window.__reloaded && document.readyState === "complete"`)
}

func (b *tab) open(path string) { b.t.Helper(); b.run(chromedp.Navigate(b.h.srv.URL + path)) }

// waitText waits until the page shows text, by itself (the test never reloads).
func (b *tab) waitText(text string) {
	b.t.Helper()
	js := fmt.Sprintf(`!!(document.body && document.body.innerText.includes(%q))`, text)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		if err := chromedp.Run(b.ctx, chromedp.Evaluate(js, &ok)); err == nil && ok {
			return
		} else if err != nil && !navigationCut(err) && b.ctx.Err() != nil {
			b.t.Fatalf("waiting for %q: %v", text, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var body string
	chromedp.Run(b.ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &body))
	b.t.Fatalf("the page never showed %q; at %s it shows:\n%s", text, b.location(), body)
}

func (b *tab) waitTrue(js string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		if err := chromedp.Run(b.ctx, chromedp.Evaluate(js, &ok)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("never true: %s", js)
}

func (b *tab) eval(js string, out any) {
	b.t.Helper()
	b.run(chromedp.Evaluate(js, out))
}

func (b *tab) location() string {
	var loc string
	b.run(chromedp.Location(&loc))
	return loc
}

// screenshot saves the viewport as docs/<name>.png when SCREENSHOTS names a folder (make screenshots).
func (b *tab) screenshot(name string) {
	dir := os.Getenv("SCREENSHOTS")
	if dir == "" {
		return
	}
	var buf []byte
	b.run(chromedp.CaptureScreenshot(&buf))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// qrPayload photographs the QR on screen and decodes it, as the BankID app's camera would.
func (b *tab) qrPayload() string {
	b.t.Helper()
	var png []byte
	b.waitTrue(`(() => { const q = document.getElementById("qr"); return !!q && !q.hidden && q.complete && q.naturalWidth > 0; })()`)
	b.run(chromedp.Screenshot("#qr", &png, chromedp.NodeVisible, chromedp.ByID))
	text, err := decodeQRImage(bytes.NewReader(png))
	if err != nil {
		b.t.Fatalf("the QR on screen does not decode: %v", err)
	}
	return text
}

// axe runs axe-core (from the npm registry, in node_modules) on the page and fails on serious
// or critical violations of WCAG 2.2 A and AA.
func (b *tab) axe(page string) {
	b.t.Helper()
	src, err := os.ReadFile("node_modules/axe-core/axe.min.js")
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.t.Fatalf("axe-core missing (npm ci): %v", err)
		}
		b.t.Logf("SKIPPING ACCESSIBILITY CHECK of %s: axe-core not installed (npm ci)", page)
		return
	}
	var res []struct {
		ID, Impact, Help string
		Nodes            []struct{ Target []any }
	}
	b.run(chromedp.Evaluate(string(src), nil),
		chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a","wcag2aa","wcag21a","wcag21aa","wcag22aa"]}}).then(r => r.violations)`,
			&res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	for _, v := range res {
		if v.Impact == "serious" || v.Impact == "critical" {
			targets, _ := json.Marshal(v.Nodes)
			b.t.Errorf("axe on %s: %s (%s): %s %s", page, v.ID, v.Impact, v.Help, targets)
		}
	}
}

// phoneChecks holds the page to the phone rules: no horizontal scrolling, tap targets of 44 px,
// the given elements visible without scrolling, under 50 KB in all, text that scales to 200 %.
func (b *tab) phoneChecks(page string, aboveFold ...string) {
	b.t.Helper()
	var r struct {
		Overflow  bool
		Small     []string
		Hidden    []string
		Weight    float64
		Overflow2 bool
	}
	sels, _ := json.Marshal(aboveFold)
	b.eval(`(() => {
		const out = {Small: [], Hidden: []};
		out.Overflow = document.documentElement.scrollWidth > window.innerWidth;
		for (const el of document.querySelectorAll("a, button, input, select, textarea")) {
			// A control inside its label is tapped through the label: measure that.
			const r = (el.closest("label") || el).getBoundingClientRect();
			if (r.width === 0 || r.height === 0 || el.classList.contains("skip")) continue;
			if (r.height < 44 || r.width < 44) out.Small.push((el.textContent || el.name || el.tagName).trim().slice(0, 40) + " " + Math.round(r.width) + "x" + Math.round(r.height));
		}
		for (const s of `+string(sels)+`) {
			const el = document.querySelector(s);
			if (!el) { out.Hidden.push(s + " (missing)"); continue; }
			const r = el.getBoundingClientRect();
			if (r.bottom > window.innerHeight || r.top < 0) out.Hidden.push(s + " at " + Math.round(r.top) + "-" + Math.round(r.bottom));
		}
		const nav = performance.getEntriesByType("navigation")[0];
		out.Weight = (nav ? nav.decodedBodySize : 0) + performance.getEntriesByType("resource").reduce((a, e) => a + e.decodedBodySize, 0);
		document.documentElement.style.fontSize = "200%";
		out.Overflow2 = document.documentElement.scrollWidth > window.innerWidth;
		document.documentElement.style.fontSize = "";
		return out;
	})()`, &r)
	if r.Overflow || r.Overflow2 {
		b.t.Errorf("%s scrolls sideways on a phone (at 200 %% text: %v)", page, r.Overflow2)
	}
	if len(r.Small) > 0 {
		b.t.Errorf("%s has tap targets under 44 px: %v", page, r.Small)
	}
	if len(r.Hidden) > 0 {
		b.t.Errorf("%s needs scrolling to see: %v", page, r.Hidden)
	}
	if r.Weight > 50*1024 {
		b.t.Errorf("%s weighs %.0f bytes, over 50 KB", page, r.Weight)
	}
}

func bankOrders(h *harness) int {
	n := 0
	for _, c := range h.app.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.Count(c.Path, "/") == 5 && strings.HasPrefix(c.Path, "/psd2/paymentinitiation/v1/payments/") {
			n++
		}
	}
	return n
}

func TestBrowserRedirectJourney(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	id, path := h.createPayment("")
	b := newTab(t, h, tabOption{phone: true, width: 360, height: 640})
	b.open(path)
	b.waitText("Choose your bank")
	b.axe("bank picker")
	b.phoneChecks("bank picker", ".amount", ".banks li:first-child button")
	b.screenshot("picker")
	b.click(`button[value="NDEASESS"]`)
	b.waitText("Approve this payment?")
	// Back from the bank: the checkout waits for it and offers the way back, never a new order.
	b.back()
	b.waitText("Waiting for your bank")
	b.reload()
	b.waitText("Waiting for your bank")
	b.axe("waiting for the bank")
	b.click(`a.btn`)
	b.waitText("Approve this payment?")
	b.click(`button[value="approve"]`)
	b.waitText("Payment being processed")
	b.axe("processing")
	h.clock.Add(5 * time.Second) // Nordea settles: the page moves on by itself
	b.waitText("Payment completed")
	b.axe("result")
	b.phoneChecks("result", ".amount", ".result .btn")
	b.screenshot("result")
	b.click(`a.btn`)
	b.waitText("signature valid")
	if u, _ := url.Parse(b.location()); u.Path != "/demo/return" || u.Query().Get("status") != "completed" {
		t.Fatalf("back to the shop at %s", u)
	}
	if st, _ := h.status(id); st != "completed" {
		t.Fatalf("API says %s", st)
	}
	if n := bankOrders(h); n != 1 {
		t.Fatalf("%d bank orders", n)
	}
	// Searching filters the list as the shopper types.
	_, path2 := h.createPayment("")
	b.open(path2)
	b.run(chromedp.SendKeys("#q", "handels", chromedp.ByID))
	var visible []string
	b.eval(`[...document.querySelectorAll(".banks li")].filter(li => !li.hidden && li.offsetParent !== null).map(li => li.textContent.trim())`, &visible)
	if len(visible) != 1 || !strings.Contains(visible[0], "Handelsbanken") {
		t.Fatalf("typing filtered to %v", visible)
	}
	b.open("/checkout/no-such-payment-token-000")
	b.waitText("could not find this payment")
	b.axe("error page")
}

func TestBrowserDecoupledDesktop(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	id, path := h.createPayment("")
	b := newTab(t, h, tabOption{})
	b.open(path)
	b.click(`button[value="HANDSESS"]`)
	b.waitText("scan the QR code")
	first := b.qrPayload()
	q0, err := bankidParse(first)
	if err != nil || q0.Time != 0 {
		t.Fatalf("first frame %q: %v", first, err)
	}
	b.axe("BankID QR")
	b.screenshot("bankid-desktop")
	b.reload() // a reload resumes the same BankID order
	if again, _ := bankidParse(b.qrPayload()); again.Token != q0.Token {
		t.Fatal("reload started a new BankID order")
	}
	var alt, live string
	b.eval(`document.getElementById("qr").alt`, &alt)
	b.eval(`document.getElementById("status-text").getAttribute("aria-live")`, &live)
	if alt == "" || live != "polite" {
		t.Fatalf("QR alt %q, live region %q", alt, live)
	}
	// A second later the page has drawn a newer frame by itself.
	h.clock.Add(time.Second)
	var second string
	for i := 0; i < 30; i++ {
		second = b.qrPayload()
		if second != first {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	q1, _ := bankidParse(second)
	if q1.Time != 1 || q1.Token != q0.Token {
		t.Fatalf("second frame %q after %q", second, first)
	}
	// The page drew that frame itself (lean-qr): since this load the server sent one image at
	// most, the first frame, which the page's HTML names.
	var src string
	var fetched, asked int
	b.eval(`document.getElementById("qr").getAttribute("src")`, &src)
	b.eval(`performance.getEntriesByType("resource").filter(e => e.name.includes("/qr.png")).length`, &fetched)
	if !strings.HasPrefix(src, "data:image/png;base64,") || fetched > 1 {
		t.Fatalf("QR not drawn by the page: src %.40q, %d images fetched", src, fetched)
	}
	// And the frame came over the event stream: the page never had to ask /status.
	b.eval(`performance.getEntriesByType("resource").filter(e => e.name.includes("/status")).length`, &asked)
	if asked != 0 {
		t.Fatalf("the page asked /status %d times instead of listening to /events", asked)
	}
	resp, body := h.scan(second)
	expectCode(t, resp, 200)
	b.waitText("security code")
	h.sign(body, "approve")
	b.waitText("Payment completed")
	if st, _ := h.status(id); st != "completed" {
		t.Fatalf("API says %s", st)
	}
	if n := bankOrders(h); n != 1 {
		t.Fatalf("%d bank orders", n)
	}
}

// A small window on a computer (or a phone asking for the desktop site) shows the QR code:
// at 360×640 the amount, the QR and the cancel action need no scrolling.
func TestBrowserQROnSmallScreen(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	_, path := h.createPayment("")
	b := newTab(t, h, tabOption{width: 360, height: 640})
	b.open(path)
	b.click(`button[value="SWEDSESS"]`)
	b.waitText("scan the QR code")
	b.qrPayload()
	b.phoneChecks("BankID QR at 360×640", ".amount", "#qr", `form[action$="/cancel"] button`)
}

func TestBrowserDecoupledPhone(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	_, path := h.createPayment("")
	b := newTab(t, h, tabOption{phone: true, width: 360, height: 640})
	b.open(path)
	b.click(`button[value="ESSESESS"]`)
	b.waitText("Open BankID on this device")
	b.axe("BankID phone")
	b.phoneChecks("BankID phone", ".amount", `form[action$="/bankid/launch"] button`)
	b.screenshot("bankid")
	b.click(`form[action$="/bankid/launch"] button`)
	b.waitText("Sign payment")
	u, _ := url.Parse(b.location())
	if u.Path != "/sandbox/bankid/app" || u.Query().Get("redirect") != h.srv.URL+path || u.Query().Get("autostarttoken") == "" {
		t.Fatalf("autostart URL %s", u)
	}
	b.click(`button[value="approve"]`)
	b.waitText("Payment completed")
	if !strings.HasSuffix(b.location(), path) {
		t.Fatalf("the app returned to %s", b.location())
	}
	// Back and reload never start a second bank order.
	b.back()
	b.reload()
	b.open(path)
	b.waitText("Payment completed")
	if n := bankOrders(h); n != 1 {
		t.Fatalf("%d bank orders", n)
	}
}

func TestBrowserFailures(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	t.Run("deny at the bank", func(t *testing.T) {
		_, path := h.createPayment("")
		b := newTab(t, h, tabOption{})
		b.open(path)
		b.click(`button[value="DABADKKK"]`)
		b.waitText("Choose your bank") // DKK only: the picker says it cannot
		_, path = h.createPayment("")
		b.open(path)
		b.click(`button[value="NDEASESS"]`)
		b.waitText("Approve this payment?")
		b.click(`button[value="deny"]`)
		b.waitText("Payment failed")
		b.axe("failed")
	})
	t.Run("cancel on the BankID page", func(t *testing.T) {
		_, path := h.createPayment("")
		b := newTab(t, h, tabOption{})
		b.open(path)
		b.click(`button[value="HANDSESS"]`)
		b.waitText("scan the QR code")
		b.click(`form[action$="/cancel"] button`)
		b.waitText("Payment cancelled")
	})
	t.Run("QR time-out and try again", func(t *testing.T) {
		id, path := h.createPayment("")
		b := newTab(t, h, tabOption{})
		b.open(path)
		b.click(`button[value="HANDSESS"]`)
		b.waitText("scan the QR code")
		h.clock.Add(31 * time.Second)
		b.waitText("Failed to scan the QR code")
		b.axe("QR time-out")
		b.click(`form[action$="/retry"] button`)
		b.waitText("scan the QR code")
		resp, body := h.scan(b.qrPayload())
		expectCode(t, resp, 200)
		h.sign(body, "approve")
		b.waitText("Payment completed")
		if st, _ := h.status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		_, path := h.createPayment(`,"expires_in":60`)
		b := newTab(t, h, tabOption{})
		b.open(path)
		b.click(`button[value="SWEDSESS"]`)
		b.waitText("scan the QR code")
		h.clock.Add(2 * time.Minute)
		b.waitText("Payment expired")
	})
}

func TestBrowserWithoutJavaScript(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	t.Run("redirect", func(t *testing.T) {
		id, path := h.createPayment("")
		b := newTab(t, h, tabOption{noScript: true})
		b.open(path)
		b.click(`button[value="NDEASESS"]`)
		b.click(`button[value="approve"]`)
		b.waitText("Payment being processed")
		h.clock.Add(5 * time.Second)
		b.waitText("Payment completed") // the meta refresh brought it
		if st, _ := h.status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
	t.Run("decoupled", func(t *testing.T) {
		id, path := h.createPayment("")
		b := newTab(t, h, tabOption{noScript: true})
		b.open(path)
		b.click(`button[value="HANDSESS"]`)
		b.waitText("scan the QR code")
		resp, body := h.scan(b.qrPayload())
		expectCode(t, resp, 200)
		h.sign(body, "approve")
		b.waitText("Payment completed")
		if st, _ := h.status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
}

func TestBrowserKeyboardAndLanguages(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	_, path := h.createPayment("")
	b := newTab(t, h, tabOption{})
	b.open(path)
	b.waitText("Choose your bank")
	// Tab to Handelsbanken, every stop visibly focused, then press Enter.
	found := false
	for i := 0; i < 40 && !found; i++ {
		b.run(chromedp.KeyEvent("\t"))
		var st struct {
			Value, Outline, Tag string
		}
		b.eval(`(() => { const e = document.activeElement; const s = getComputedStyle(e);
			return {Value: e.value || "", Outline: s.outlineStyle + " " + s.outlineWidth, Tag: e.tagName}; })()`, &st)
		if st.Tag != "BODY" && (strings.HasPrefix(st.Outline, "none") || strings.HasPrefix(st.Outline, "0")) {
			t.Errorf("focus on %s %q is not visible (%s)", st.Tag, st.Value, st.Outline)
		}
		found = st.Value == "HANDSESS"
	}
	if !found {
		t.Fatal("Handelsbanken cannot be reached by keyboard")
	}
	if err := chromedp.Run(b.ctx, chromedp.KeyEvent("\r")); err != nil && !navigationCut(err) { // Enter submits the form
		t.Fatal(err)
	}
	b.waitText("scan the QR code")

	// Every language renders the picker in its own words, chosen with the switcher.
	for lang, heading := range map[string]string{"sv": "Välj din bank", "no": "Velg banken din", "fi": "Valitse pankkisi",
		"da": "Vælg din bank", "fr": "Choisissez votre banque", "lt": "Pasirinkite savo banką", "pt": "Escolha o seu banco", "en": "Choose your bank"} {
		_, p := h.createPayment("")
		b.open(p + "?lang=" + lang)
		b.waitText(heading)
		var htmlLang string
		b.eval(`document.documentElement.lang`, &htmlLang)
		if htmlLang != lang {
			t.Errorf("lang=%s page says lang=%q", lang, htmlLang)
		}
	}
}

func bankidParse(s string) (struct {
	Token string
	Time  int64
}, error) {
	p, err := bankid.ParseQR(s)
	return struct {
		Token string
		Time  int64
	}{p.Token, p.Time}, err
}

func TestBrowserAccountQuestion(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	_, path := h.createPayment(`,"debtor":null`)
	b := newTab(t, h, tabOption{phone: true, width: 360, height: 640})
	b.open(path)
	b.click(`button[value="HANDSESS"]`)
	b.waitText("Your account at Handelsbanken")
	b.axe("account question")
	b.phoneChecks("account question", ".amount", "#f-clearing_number")
	b.screenshot("account")
	b.run(chromedp.SendKeys("#f-clearing_number", "6789", chromedp.ByID), chromedp.SendKeys("#f-account_number", "123456782", chromedp.ByID))
	b.click(`#account-form button[type="submit"]`)
	b.waitText("check digit")
	b.axe("account question with an error")
	b.run(chromedp.SetValue("#f-account_number", "123456789", chromedp.ByID))
	b.click(`#account-form button[type="submit"]`)
	b.waitText("Open BankID on this device")
}

func TestBrowserFetchMyAccounts(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	id, path := h.createPayment(`,"debtor":null`)
	b := newTab(t, h, tabOption{})
	b.open(path)
	b.click(`button[value="SWEDSESS"]`)
	b.waitText("Fetch my accounts")
	b.click(`form[action$="/account/fetch"] button`)
	b.waitText("scan the QR code")
	resp, body := h.scan(b.qrPayload())
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	b.waitText("Everyday account") // the page moved on by itself to the list of accounts
	b.axe("fetched accounts")
	b.click(`button[name="account"][value="0"]`)
	b.waitText("scan the QR code")
	resp, body = h.scan(b.qrPayload())
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	b.waitText("Payment completed")
	if st, _ := h.status(id); st != "completed" {
		t.Fatalf("API says %s", st)
	}
}

func TestBrowserEmbeddedOTP(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	code, p := h.api("POST", "/api/v1/payments", `{"amount":"120.50","currency":"EUR","reference":"Encomenda 9"}`)
	if code != 201 {
		t.Fatal(code)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	b := newTab(t, h, tabOption{phone: true, width: 360, height: 640})
	b.open(u.Path)
	b.click(`button[value="BOTPPTPL"]`)
	b.waitText("Enter the code from your bank")
	b.axe("one-time code")
	b.phoneChecks("one-time code", ".amount", "#otp", `#otp-form button`)
	b.run(chromedp.SendKeys("#otp", "123456", chromedp.ByID))
	b.click(`#otp-form button`)
	b.waitText("Payment completed")
}
