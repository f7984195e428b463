package handlers

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Pages, scripts, styles, icons and JSON go out gzipped to browsers that take it: a 7 KB page
// becomes about 2 KB, which on a phone's slow first round trips is most of the wait. The event
// stream is never compressed (a gzip stream holds back what it has not yet filled a block with,
// and the frames must go out as they are made), nor PNG images (already compressed).

// compressibleTypes are the media types worth compressing.
var compressibleTypes = []string{
	"text/html", "text/css", "text/javascript", "text/plain", "application/javascript",
	"application/json", "application/problem+json", "image/svg+xml",
}

// minCompressSize is the size below which a body goes out as it is: gzip's own header and
// trailer would take back most of what it saves.
const minCompressSize = 512

// gzipLevel trades size for CPU: BestSpeed makes a page about 10 % larger than the default
// level does at a third of the time, and pages are made per request.
const gzipLevel = gzip.BestSpeed

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzipLevel)
	return w
}}

// compress gzips the responses of compressibleTypes for clients that accept gzip, and says
// Vary: Accept-Encoding on every response whose form depends on it.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &compressWriter{ResponseWriter: w, accepts: acceptsGzip(r) && r.Method != http.MethodHead && r.Header.Get("Range") == ""}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a quality above zero.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// compressWriter decides, when the handler sends its header, whether the body is gzipped.
type compressWriter struct {
	http.ResponseWriter
	accepts     bool
	wroteHeader bool
	gz          *gzip.Writer // nil unless the body is being gzipped
}

func (w *compressWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wroteHeader = true
	h := w.Header()
	if compressible(h.Get("Content-Type")) && h.Get("Content-Encoding") == "" {
		h.Add("Vary", "Accept-Encoding")
		if w.accepts && bodyAllowed(code) && !tooSmall(h.Get("Content-Length")) {
			h.Del("Content-Length") // net/http counts the gzipped length itself when it can
			h.Set("Content-Encoding", "gzip")
			if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
				h.Set("ETag", "W/"+etag) // the same resource, not the same bytes
			}
			w.gz = gzipWriters.Get().(*gzip.Writer)
			w.gz.Reset(w.ResponseWriter)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", http.DetectContentType(b))
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.gz != nil {
		return w.gz.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what the gzip stream holds so far, then the connection's buffer.
func (w *compressWriter) Flush() {
	if w.gz != nil {
		w.gz.Flush()
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flushing).
func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// close ends the gzip stream and returns its writer to the pool.
func (w *compressWriter) close() {
	if w.gz == nil {
		return
	}
	w.gz.Close()
	w.gz.Reset(io.Discard) // holds no reference to this response while pooled
	gzipWriters.Put(w.gz)
	w.gz = nil
}

func compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	for _, t := range compressibleTypes {
		if mt == t {
			return true
		}
	}
	return false
}

func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusPartialContent && code != http.StatusNotModified
}

func tooSmall(contentLength string) bool {
	n, err := strconv.Atoi(contentLength)
	return err == nil && n < minCompressSize
}
