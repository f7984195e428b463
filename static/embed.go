// Package static holds the checkout's CSS, its one small script and icons, embedded in the binary.
package static

import "embed"

// Files are the static assets, served under /static/.
//
//go:embed *.css *.js *.svg
var Files embed.FS
