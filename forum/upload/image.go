// Package upload decides what an uploaded file is, from its bytes alone, and
// turns an image into one that is safe to serve: decoded and encoded again
// (metadata such as EXIF location dropped, anything appended to the image
// gone), refused by pixel count before decoding when it would not fit in
// memory. It stores nothing (forum/upload_store.go does) and imports only
// the standard library and golang.org/x/image.
package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"

	"golang.org/x/image/webp"
)

// Errors of the processing; forum maps them to its own codes.
var (
	ErrNotImage      = errors.New("upload: not an image of a supported type")
	ErrTooManyPixels = errors.New("upload: image has too many pixels")
	ErrCorrupt       = errors.New("upload: image cannot be decoded")
	ErrTooManyFrames = errors.New("upload: animation too large")
)

// DefaultMaxPixels is the largest image decoded by default (Discourse
// refuses above 40 megapixels): 25 megapixels are 100 MB once decoded.
const DefaultMaxPixels = 25_000_000

// JPEGQuality is the quality of the JPEGs written.
const JPEGQuality = 85

// File is an upload ready to store: its bytes as they are served, and what
// they are.
type File struct {
	Data          []byte
	SHA256        string // hex of Data's sha256: its address
	ContentType   string
	Ext           string
	Width, Height int
	Image         bool // a re-encoded image, served inline; otherwise an attachment
}

func newFile(data []byte, contentType, ext string, w, h int, img bool) *File {
	sum := sha256.Sum256(data)
	return &File{Data: data, SHA256: hex.EncodeToString(sum[:]), ContentType: contentType, Ext: ext, Width: w, Height: h, Image: img}
}

// Processor decodes and encodes images, a bounded number at once: each
// decoding holds up to MaxPixels × 4 bytes, and turning a photo by its EXIF
// orientation or resizing an avatar as much twice again, so that about
// slots × MaxPixels × 12 bytes bounds the memory image work takes.
type Processor struct {
	slots     chan struct{}
	maxPixels int
}

// NewProcessor returns a processor running at most slots decodings at once
// (at least one) of images of at most maxPixels pixels.
func NewProcessor(slots, maxPixels int) *Processor {
	return &Processor{slots: make(chan struct{}, max(1, slots)), maxPixels: maxPixels}
}

// DefaultSlots sizes the processor from the cores: image work is CPU-bound,
// and more decodings at once than cores only hold more memory.
func DefaultSlots() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// MaxPixels is the largest image this processor decodes.
func (p *Processor) MaxPixels() int { return p.maxPixels }

func (p *Processor) enter(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Processor) leave() { <-p.slots }

// Sniff names the image format of data from its first bytes ("jpeg",
// "png", "gif", "webp"), "" when it is none of them. The name and the type
// a client declares are never looked at.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// config reads an image's header: its format and size, without decoding
// its pixels, and refuses it when the pixels would not fit.
func (p *Processor) config(data []byte) (string, image.Config, error) {
	format := Sniff(data)
	if format == "" {
		return "", image.Config{}, ErrNotImage
	}
	var cfg image.Config
	var err error
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(r)
	case "png":
		cfg, err = png.DecodeConfig(r)
	case "gif":
		cfg, err = gif.DecodeConfig(r)
	case "webp":
		cfg, err = webp.DecodeConfig(r)
	}
	if err != nil {
		return "", cfg, ErrCorrupt
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", cfg, ErrCorrupt
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(p.maxPixels) {
		return "", cfg, ErrTooManyPixels
	}
	if format == "gif" {
		if err := checkGIFFrames(data, int64(p.maxPixels)); err != nil {
			return "", cfg, err
		}
	}
	return format, cfg, nil
}

// Image decodes an image and encodes it again: JPEG as JPEG (turned as its
// EXIF orientation says), PNG as PNG,
// GIF as GIF (every frame of an animation), WebP as PNG when it has
// transparency and as JPEG otherwise (Go has no WebP encoder). What is not
// pixels (EXIF, comments, text chunks, bytes after the image) is dropped.
func (p *Processor) Image(ctx context.Context, data []byte) (*File, error) {
	format, cfg, err := p.config(data)
	if err != nil {
		return nil, err
	}
	if err := p.enter(ctx); err != nil {
		return nil, err
	}
	defer p.leave()
	var out bytes.Buffer
	r := bytes.NewReader(data)
	switch format {
	case "gif":
		g, err := gif.DecodeAll(r)
		if err != nil {
			return nil, ErrCorrupt
		}
		// Comments and application extensions other than the loop count
		// are not written again.
		if err := gif.EncodeAll(&out, g); err != nil {
			return nil, ErrCorrupt
		}
		return newFile(out.Bytes(), "image/gif", "gif", cfg.Width, cfg.Height, true), nil
	case "png":
		img, err := png.Decode(r)
		if err != nil {
			return nil, ErrCorrupt
		}
		if err := encodePNG(&out, img); err != nil {
			return nil, err
		}
		return newFile(out.Bytes(), "image/png", "png", cfg.Width, cfg.Height, true), nil
	case "jpeg":
		img, err := jpeg.Decode(r)
		if err != nil {
			return nil, ErrCorrupt
		}
		// EXIF goes, so its orientation is applied to the pixels.
		img = orient(img, jpegOrientation(data))
		if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			return nil, ErrCorrupt
		}
		b := img.Bounds()
		return newFile(out.Bytes(), "image/jpeg", "jpg", b.Dx(), b.Dy(), true), nil
	default: // webp
		img, err := webp.Decode(r)
		if err != nil {
			return nil, ErrCorrupt
		}
		if opaque(img) {
			if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
				return nil, ErrCorrupt
			}
			return newFile(out.Bytes(), "image/jpeg", "jpg", cfg.Width, cfg.Height, true), nil
		}
		if err := encodePNG(&out, img); err != nil {
			return nil, err
		}
		return newFile(out.Bytes(), "image/png", "png", cfg.Width, cfg.Height, true), nil
	}
}

func encodePNG(out *bytes.Buffer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(out, img); err != nil {
		return ErrCorrupt
	}
	return nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// checkGIFFrames walks a GIF's blocks without decoding them and refuses an
// animation whose frames together hold more than budget pixels: GIF's
// header gives the size of one frame only, and an animation of thousands
// of full frames compresses to a few kilobytes each.
func checkGIFFrames(data []byte, budget int64) error {
	if len(data) < 13 {
		return ErrCorrupt
	}
	i := 13
	if data[10]&0x80 != 0 { // global colour table
		i += 3 << (int(data[10]&7) + 1)
	}
	skipSubBlocks := func() bool {
		for i < len(data) {
			n := int(data[i])
			i++
			if n == 0 {
				return true
			}
			i += n
		}
		return false
	}
	var total int64
	for i < len(data) {
		switch data[i] {
		case 0x21: // extension: label, then sub-blocks
			i += 2
			if !skipSubBlocks() {
				return ErrCorrupt
			}
		case 0x2C: // image descriptor
			if i+10 > len(data) {
				return ErrCorrupt
			}
			w := int64(data[i+5]) | int64(data[i+6])<<8
			h := int64(data[i+7]) | int64(data[i+8])<<8
			packed := data[i+9]
			i += 10
			if packed&0x80 != 0 { // local colour table
				i += 3 << (int(packed&7) + 1)
			}
			i++ // LZW minimum code size
			total += w * h
			if total > budget {
				return ErrTooManyFrames
			}
			if !skipSubBlocks() {
				return ErrCorrupt
			}
		case 0x3B: // trailer
			return nil
		default:
			return ErrCorrupt
		}
	}
	return nil // no trailer: the decoder stops where the data ends
}
