package handlers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestCompress(t *testing.T) {
	page := []byte("<!doctype html><title>x</title>" + strings.Repeat("<p>Choose your bank</p>", 300))
	files := fstest.MapFS{"app.css": {Data: bytes.Repeat([]byte("body{margin:0}\n"), 200)}}
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	})
	mux.HandleFunc("/tiny", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "2")
		w.Write([]byte("{}"))
	})
	mux.HandleFunc("/qr.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(bytes.Repeat([]byte{0x89}, 4096))
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.Write([]byte("data: {}\n\n"))
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond)
	})
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServerFS(files)))
	srv := httptest.NewServer(compress(mux))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // sees the bytes as sent

	for _, tc := range []struct {
		name, method, path, acceptEncoding, rangeHdr string
		gzipped, vary                                bool
		want                                         []byte
	}{
		{name: "page, gzip accepted", path: "/page", acceptEncoding: "gzip, deflate, br", gzipped: true, vary: true, want: page},
		{name: "page, gzip refused by q=0", path: "/page", acceptEncoding: "gzip;q=0, br", vary: true, want: page},
		{name: "page, no Accept-Encoding", path: "/page", vary: true, want: page},
		{name: "page, any coding", path: "/page", acceptEncoding: "*", gzipped: true, vary: true, want: page},
		{name: "page, HEAD", method: "HEAD", path: "/page", acceptEncoding: "gzip", vary: true},
		{name: "static CSS", path: "/static/app.css", acceptEncoding: "gzip", gzipped: true, vary: true, want: files["app.css"].Data},
		{name: "static CSS, a range of it", path: "/static/app.css", acceptEncoding: "gzip", rangeHdr: "bytes=0-9", vary: true, want: files["app.css"].Data[:10]},
		{name: "tiny JSON", path: "/tiny", acceptEncoding: "gzip", vary: true, want: []byte("{}")},
		{name: "PNG", path: "/qr.png", acceptEncoding: "gzip", want: bytes.Repeat([]byte{0x89}, 4096)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			req, _ := http.NewRequest(method, srv.URL+tc.path, nil)
			if tc.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tc.acceptEncoding)
			}
			if tc.rangeHdr != "" {
				req.Header.Set("Range", tc.rangeHdr)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped %v, want %v", got, tc.gzipped)
			}
			if got := strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding"); got != tc.vary {
				t.Errorf("Vary %q", resp.Header.Get("Vary"))
			}
			// The length said is the length sent, whichever form that is.
			if cl := resp.Header.Get("Content-Length"); cl != "" && method == "GET" && cl != strconv.Itoa(len(raw)) {
				t.Errorf("Content-Length %s for %d bytes sent", cl, len(raw))
			}
			body := raw
			if tc.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if len(raw) >= len(body) {
					t.Errorf("gzip made %d bytes of %d", len(raw), len(body))
				}
			}
			if method == "GET" && !bytes.Equal(body, tc.want) {
				t.Errorf("body %.60q…, want %.60q…", body, tc.want)
			}
		})
	}

	t.Run("event stream", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/events", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ce := resp.Header.Get("Content-Encoding"); ce != "" {
			t.Fatalf("event stream sent with Content-Encoding %q", ce)
		}
		// The first frame arrives as it is flushed, readable as it is.
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || line != "data: {}\n" {
			t.Fatalf("first line %q: %v", line, err)
		}
	})
}

func TestAcceptsGzip(t *testing.T) {
	for in, want := range map[string]bool{
		"gzip": true, "deflate, gzip;q=1.0, *;q=0.5": true, "GZIP": true, "br": false, "": false,
		"gzip;q=0": false, "gzip; q=0.0": false, "identity, *;q=0": false, "*": true, "x-gzip": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if in != "" {
			r.Header.Set("Accept-Encoding", in)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
