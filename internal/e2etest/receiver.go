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

// Receiver is a merchant's webhook endpoint that verifies signatures with its own, independent
// implementation of the Standard Webhooks scheme.
type Receiver struct {
	T       *testing.T
	Srv     *httptest.Server
	Secret  string
	Mu      sync.Mutex
	Fail    int // answer 500 to this many requests first
	Got     []map[string]any
	IDs     []string
	Invalid int
}

// NewReceiver starts a receiver for the test; set its Secret once the endpoint is made.
func NewReceiver(t *testing.T) *Receiver {
	rc := &Receiver{T: t}
	rc.Srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.Mu.Lock()
		defer rc.Mu.Unlock()
		if rc.Fail > 0 {
			rc.Fail--
			http.Error(w, "down", 500)
			return
		}
		id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(rc.Secret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "." + string(body)))
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		sec, _ := strconv.ParseInt(ts, 10, 64)
		if !hmac.Equal([]byte(sig), []byte(want)) || time.Since(time.Unix(sec, 0)) > 5*time.Minute {
			rc.Invalid++
			http.Error(w, "bad signature", 400)
			return
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		rc.Got = append(rc.Got, ev)
		rc.IDs = append(rc.IDs, id)
		w.WriteHeader(204)
	}))
	t.Cleanup(rc.Srv.Close)
	return rc
}

// Types are the types of the events received, in order.
func (rc *Receiver) Types() []string {
	rc.Mu.Lock()
	defer rc.Mu.Unlock()
	var out []string
	for _, e := range rc.Got {
		out = append(out, e["type"].(string))
	}
	return out
}
