package handlers

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// QRPNG draws a QR payload as a PNG with one pixel per module and a 4-module quiet zone, in a
// 1-bit palette. The page scales it up with image-rendering: pixelated, so it stays sharp at any
// size, while the PNG is a few hundred bytes and cheap to make: at a new frame every second for
// every waiting shopper, this is the server's hottest path. go-qrcode still builds the symbol
// (mask selection included); only its PNG writer, which draws and compresses large images, is
// replaced.
func QRPNG(payload string) ([]byte, error) {
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	const quiet = 4
	n := len(bits) + 2*quiet
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y, row := range bits {
		off := img.PixOffset(quiet, y+quiet)
		for x, dark := range row {
			if dark {
				img.Pix[off+x] = 1
			}
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, 512))
	if err := qrEncoder.Encode(buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var qrEncoder = &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }
