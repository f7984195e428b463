// Package static holds the checkout's CSS, its one small script and icons, embedded in the binary.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
)

// Files are the static assets, served under /static/.
//
//go:embed *.css *.js *.svg
var Files embed.FS

// versions maps each file's name to a short hash of its content, worked out once at start: the
// files are in the binary, so a file's version changes only with a new build that changes it.
var versions = func() map[string]string {
	v := map[string]string{}
	names, err := fs.Glob(Files, "*")
	if err != nil {
		panic(err) // a fixed pattern: cannot fail
	}
	for _, name := range names {
		b, err := Files.ReadFile(name)
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		sum := sha256.Sum256(b)
		v[name] = base64.RawURLEncoding.EncodeToString(sum[:9])
	}
	return v
}()

// URL is the address of a static file with its content's version, /static/app.css?v=<hash>:
// browsers may keep it for a year, since a changed file has a new address. It panics on a name
// that is not embedded, which the views' tests then catch rather than a shopper's 404.
func URL(name string) string {
	v, ok := versions[name]
	if !ok {
		panic("static: no file " + name)
	}
	return "/static/" + name + "?v=" + v
}

// Current reports whether version is the current one of the file named.
func Current(name, version string) bool {
	v, ok := versions[name]
	return ok && version == v
}
