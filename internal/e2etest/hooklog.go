package e2etest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// VerifyStandardWebhook checks a delivery as the Standard Webhooks specification tells a
// receiver to, written here from the spec rather than borrowed from the server: the signed
// content is "{webhook-id}.{webhook-timestamp}.{body}", the key the base64 after "whsec_", the
// header a space-separated list of "v1,{base64 HMAC-SHA256}", any one of which may match; the
// timestamp must be within five minutes of now.
func VerifyStandardWebhook(secret string, hdr http.Header, body []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	ts, err := strconv.ParseInt(hdr.Get("webhook-timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(hdr.Get("webhook-id") + "." + hdr.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Split(hdr.Get("webhook-signature"), " ") {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(value); err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// HookLog is an endpoint that keeps every delivery it receives, headers and body.
type HookLog struct {
	mu   sync.Mutex
	Srv  *httptest.Server
	got  []Delivered
	Fail bool // answer 503 on the path /down
}

// Delivered is one delivery a HookLog received.
type Delivered struct {
	Path string
	Hdr  http.Header
	Body []byte
	Type string
}

// NewHookLog starts a HookLog for the test.
func NewHookLog(t *testing.T) *HookLog {
	l := &HookLog{}
	l.Srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			Type string `json:"type"`
		}
		json.Unmarshal(body, &ev)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.got = append(l.got, Delivered{Path: r.URL.Path, Hdr: r.Header.Clone(), Body: body, Type: ev.Type})
		if l.Fail && r.URL.Path == "/down" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(204)
	}))
	t.Cleanup(l.Srv.Close)
	return l
}

// Take returns the deliveries received since the last Take.
func (l *HookLog) Take() []Delivered {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}
