package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// NeedBrowser returns the shared Chromium allocator, skipping the test without Chromium (failing it in CI).
func NeedBrowser(t *testing.T) context.Context {
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

// Tab is one browser tab on the harness's server.
type Tab struct {
	T   *testing.T
	H   *Harness
	Ctx context.Context
}

const (
	PhoneUA   = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
	DesktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)

// TabOption is how a tab is made: a phone's screen and user agent, a size, without JavaScript.
type TabOption struct {
	Phone     bool
	Width     int64
	Height    int64
	NoScript  bool
	UserAgent string
}

// NewTab opens a browser tab on h's server, as o says.
func NewTab(t *testing.T, h *Harness, o TabOption) *Tab {
	t.Helper()
	alloc := NeedBrowser(t)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancel2 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel2)
	if o.Width == 0 {
		o.Width, o.Height = 1024, 800
	}
	ua := DesktopUA
	if o.Phone {
		ua = PhoneUA
	}
	if o.UserAgent != "" {
		ua = o.UserAgent
	}
	actions := []chromedp.Action{emulation.SetUserAgentOverride(ua)}
	if o.Phone {
		actions = append(actions, chromedp.EmulateViewport(o.Width, o.Height, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	} else {
		actions = append(actions, chromedp.EmulateViewport(o.Width, o.Height))
	}
	if o.NoScript {
		actions = append(actions, emulation.SetScriptExecutionDisabled(true))
	}
	tb := &Tab{T: t, H: h, Ctx: ctx}
	tb.Run(actions...)
	return tb
}

// Run runs chromedp actions in the tab, failing the test on an error.
func (b *Tab) Run(actions ...chromedp.Action) {
	b.T.Helper()
	if err := chromedp.Run(b.Ctx, actions...); err != nil {
		var loc string
		chromedp.Run(b.Ctx, chromedp.Location(&loc))
		var body string
		chromedp.Run(b.Ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &body))
		b.T.Fatalf("browser: %v\nat %s\n%s", err, loc, body)
	}
}

// Click taps a button or link with a real mouse event. The navigation it starts may cut the
// call short; the next wait finds out whether the click did what it should.
func (b *Tab) Click(sel string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(sel, chromedp.ByQuery))
	if err := chromedp.Run(b.Ctx, chromedp.Click(sel, chromedp.ByQuery)); err != nil && !NavigationCut(err) {
		b.T.Fatalf("click %s: %v", sel, err)
	}
}

// NavigationCut reports whether err is only the page navigating away under an action (a click
// that submits a form), which is what the action was for.
func NavigationCut(err error) bool {
	s := err.Error()
	return strings.Contains(s, "navigated or closed") || strings.Contains(s, "Cannot find context") || strings.Contains(s, "context with specified id")
}

// Back and reload act as the browser's buttons do; they do not wait for a load event, which a
// page restored from the back-forward cache never fires, but for the next page to be there.
func (b *Tab) Back() {
	b.T.Helper()
	before := b.Location()
	chromedp.Run(b.Ctx, chromedp.Evaluate(`history.back()`, nil))
	b.WaitTrue(fmt.Sprintf(`location.href !== %q && document.readyState === "complete"`, before))
}

// Reload reloads the page.
func (b *Tab) Reload() {
	b.T.Helper()
	chromedp.Run(b.Ctx, chromedp.Evaluate(`window.__reloaded = true; location.reload()`, nil))
	b.WaitTrue(`!window.__reloaded && document.readyState === "complete"`)
}

// Open navigates to a path on the server.
func (b *Tab) Open(path string) { b.T.Helper(); b.Run(chromedp.Navigate(b.H.Srv.URL + path)) }

// WaitText waits until the page shows text, by itself (the test never reloads).
func (b *Tab) WaitText(text string) {
	b.T.Helper()
	js := fmt.Sprintf(`!!(document.body && document.body.innerText.includes(%q))`, text)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		if err := chromedp.Run(b.Ctx, chromedp.Evaluate(js, &ok)); err == nil && ok {
			return
		} else if err != nil && !NavigationCut(err) && b.Ctx.Err() != nil {
			b.T.Fatalf("waiting for %q: %v", text, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var body string
	chromedp.Run(b.Ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &body))
	b.T.Fatalf("the page never showed %q; at %s it shows:\n%s", text, b.Location(), body)
}

// WaitTrue waits until the JavaScript expression js is true.
func (b *Tab) WaitTrue(js string) {
	b.T.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		if err := chromedp.Run(b.Ctx, chromedp.Evaluate(js, &ok)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.T.Fatalf("never true: %s", js)
}

// Eval evaluates js in the page into out.
func (b *Tab) Eval(js string, out any) {
	b.T.Helper()
	b.Run(chromedp.Evaluate(js, out))
}

// Location is the page's URL.
func (b *Tab) Location() string {
	var loc string
	b.Run(chromedp.Location(&loc))
	return loc
}

// Screenshot saves the viewport as docs/<name>.png when SCREENSHOTS names a folder (make screenshots).
func (b *Tab) Screenshot(name string) {
	dir := os.Getenv("SCREENSHOTS")
	if dir == "" {
		return
	}
	var buf []byte
	b.Run(chromedp.CaptureScreenshot(&buf))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		b.T.Fatal(err)
	}
}

// QRPayload photographs the QR on screen and decodes it, as the BankID app's camera would.
func (b *Tab) QRPayload() string {
	b.T.Helper()
	var png []byte
	b.WaitTrue(`(() => { const q = document.getElementById("qr"); return !!q && !q.hidden && q.complete && q.naturalWidth > 0; })()`)
	b.Run(chromedp.Screenshot("#qr", &png, chromedp.NodeVisible, chromedp.ByID))
	text, err := DecodeQRImage(bytes.NewReader(png))
	if err != nil {
		b.T.Fatalf("the QR on screen does not decode: %v", err)
	}
	return text
}

// Axe runs axe-core (from the npm registry, in node_modules) on the page and fails on serious
// or critical violations of WCAG 2.2 A and AA.
func (b *Tab) Axe(page string) {
	b.T.Helper()
	src, err := os.ReadFile(filepath.Join(moduleRoot(), "node_modules/axe-core/axe.min.js"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.T.Fatalf("axe-core missing (npm ci): %v", err)
		}
		b.T.Logf("SKIPPING ACCESSIBILITY CHECK of %s: axe-core not installed (npm ci)", page)
		return
	}
	var res []struct {
		ID, Impact, Help string
		Nodes            []struct{ Target []any }
	}
	b.Run(chromedp.Evaluate(string(src), nil),
		chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a","wcag2aa","wcag21a","wcag21aa","wcag22aa"]}}).then(r => r.violations)`,
			&res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	for _, v := range res {
		if v.Impact == "serious" || v.Impact == "critical" {
			targets, _ := json.Marshal(v.Nodes)
			b.T.Errorf("axe on %s: %s (%s): %s %s", page, v.ID, v.Impact, v.Help, targets)
		}
	}
}

// PhoneChecks holds the page to the phone rules: no horizontal scrolling, tap targets of 44 px,
// the given elements visible without scrolling, under 50 KB in all, text that scales to 200 %.
func (b *Tab) PhoneChecks(page string, aboveFold ...string) {
	b.T.Helper()
	var r struct {
		Overflow  bool
		Small     []string
		Hidden    []string
		Weight    float64
		Overflow2 bool
	}
	sels, _ := json.Marshal(aboveFold)
	b.Eval(`(() => {
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
		b.T.Errorf("%s scrolls sideways on a phone (at 200 %% text: %v)", page, r.Overflow2)
	}
	if len(r.Small) > 0 {
		b.T.Errorf("%s has tap targets under 44 px: %v", page, r.Small)
	}
	if len(r.Hidden) > 0 {
		b.T.Errorf("%s needs scrolling to see: %v", page, r.Hidden)
	}
	if r.Weight > 50*1024 {
		b.T.Errorf("%s weighs %.0f bytes, over 50 KB", page, r.Weight)
	}
}

// BankOrders counts the payments created at the Open Payments fake.
func BankOrders(h *Harness) int {
	n := 0
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.Count(c.Path, "/") == 5 && strings.HasPrefix(c.Path, "/psd2/paymentinitiation/v1/payments/") {
			n++
		}
	}
	return n
}

// Main runs a package's tests and then closes the browser they shared, if any; call it from the
// package's TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if browserStop != nil {
		browserStop()
	}
	os.Exit(code)
}

// moduleRoot is the repository's root, where node_modules is, whichever package's tests run.
func moduleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
