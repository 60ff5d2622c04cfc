package upload_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"github.com/palabre/palabre/forum/upload"
)

func newProcessor() *upload.Processor { return upload.NewProcessor(2, upload.DefaultMaxPixels) }

// TestImageTypeIsDecidedByContent: the format comes from the bytes, and
// each supported type comes out re-encoded with its size.
func TestImageTypeIsDecidedByContent(t *testing.T) {
	webpOpaque, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpAlpha, err := os.ReadFile("testdata/gopher-doc.with-alpha.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, contentType, ext string
		data                   []byte
	}{
		{"png", "image/png", "png", PNG(t, 30, 20)},
		{"jpeg", "image/jpeg", "jpg", JPEG(t, 30, 20)},
		{"gif", "image/gif", "gif", AnimatedGIF(t, 30, 20, 3)},
		{"opaque webp becomes jpeg", "image/jpeg", "jpg", webpOpaque},
		{"transparent webp becomes png", "image/png", "png", webpAlpha},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := newProcessor().Image(context.Background(), c.data)
			if err != nil {
				t.Fatal(err)
			}
			if f.ContentType != c.contentType || f.Ext != c.ext || !f.Image || f.Width <= 0 || f.Height <= 0 {
				t.Fatalf("got %s .%s %dx%d image=%v", f.ContentType, f.Ext, f.Width, f.Height, f.Image)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(f.Data))
			if err != nil || cfg.Width != f.Width || cfg.Height != f.Height || "image/"+format != c.contentType {
				t.Fatalf("output does not decode as announced: %v %s %+v", err, format, cfg)
			}
			if len(f.SHA256) != 64 {
				t.Fatalf("sha256 %q", f.SHA256)
			}
		})
	}
}

func TestAnimatedGIFKeepsItsFrames(t *testing.T) {
	f, err := newProcessor().Image(context.Background(), AnimatedGIF(t, 16, 16, 4))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 4 {
		t.Fatalf("frames: %d, want 4", len(g.Image))
	}
}

// TestHTMLNamedPNGIsRefused: markup is neither an image nor an attachment,
// whatever its name and whatever the admin allows.
func TestHTMLNamedPNGIsRefused(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	if _, err := newProcessor().Image(context.Background(), html); !errors.Is(err, upload.ErrNotImage) {
		t.Fatalf("as an image: %v", err)
	}
	for _, c := range []struct{ name, ext string }{{"evil.png", "png"}, {"evil.txt", "txt"}, {"evil.html", "html"}, {"evil.svg", "svg"}} {
		if _, err := upload.Attachment(html, c.name, []string{c.ext, "txt", "pdf"}); !errors.Is(err, upload.ErrNotAllowed) {
			t.Errorf("%s as an attachment: %v", c.name, err)
		}
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)
	if _, err := upload.Attachment(svg, "picture.txt", []string{"txt"}); !errors.Is(err, upload.ErrNotAllowed) {
		t.Errorf("svg as text: %v", err)
	}
}

// TestPolyglotsLoseTheirPayload: an image that is also HTML (a comment in
// a GIF, bytes after a PNG's end, a PNG text chunk) comes out as pixels
// only.
func TestPolyglotsLoseTheirPayload(t *testing.T) {
	payload := "<html><script>alert(document.domain)</script></html>"
	gifPolyglot := GIFWithComment(t, payload)
	pngPolyglot := append(PNGWithText(t, "Comment", payload), []byte(payload)...)
	for name, data := range map[string][]byte{"gif": gifPolyglot, "png": pngPolyglot} {
		t.Run(name, func(t *testing.T) {
			if !bytes.Contains(data, []byte("<script>")) {
				t.Fatal("the polyglot has no payload")
			}
			f, err := newProcessor().Image(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(f.Data, []byte("<script>")) || bytes.Contains(f.Data, []byte("alert")) {
				t.Fatal("the payload survived re-encoding")
			}
		})
	}
}

// TestJPEGLosesItsGPSLocation: the EXIF segment (with a GPS position) is
// not written again.
func TestJPEGLosesItsGPSLocation(t *testing.T) {
	data := JPEGWithGPS(t)
	if !bytes.Contains(data, []byte("Exif\x00\x00")) {
		t.Fatal("the fixture has no EXIF")
	}
	if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("the fixture is no JPEG: %v", err)
	}
	f, err := newProcessor().Image(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(f.Data, []byte("Exif")) || bytes.Contains(f.Data, []byte{0xFF, 0xE1}) {
		t.Fatal("EXIF survived")
	}
}

// TestJPEGTurnedAsItsOrientationSays: EXIF goes, so a photo taken with
// the camera turned is turned in its pixels instead.
func TestJPEGTurnedAsItsOrientationSays(t *testing.T) {
	red := func(c color.Color) bool { r, _, b, _ := c.RGBA(); return r>>8 > 150 && b>>8 < 100 }
	blue := func(c color.Color) bool { r, _, b, _ := c.RGBA(); return b>>8 > 150 && r>>8 < 100 }
	cases := []struct {
		o             int
		w, h          int
		redAt, blueAt image.Point // where the red and blue halves end up
	}{
		{1, 32, 16, image.Pt(4, 8), image.Pt(28, 8)},
		{3, 32, 16, image.Pt(28, 8), image.Pt(4, 8)}, // upside down
		{6, 16, 32, image.Pt(8, 4), image.Pt(8, 28)}, // a quarter clockwise: the left half on top
		{8, 16, 32, image.Pt(8, 28), image.Pt(8, 4)}, // a quarter anticlockwise: the left half below
		{2, 32, 16, image.Pt(28, 8), image.Pt(4, 8)}, // mirrored
	}
	for _, c := range cases {
		f, err := newProcessor().Image(context.Background(), JPEGWithOrientation(t, 32, 16, c.o))
		if err != nil {
			t.Fatal(err)
		}
		out, err := jpeg.Decode(bytes.NewReader(f.Data))
		if err != nil {
			t.Fatal(err)
		}
		if b := out.Bounds(); b.Dx() != c.w || b.Dy() != c.h || f.Width != c.w || f.Height != c.h {
			t.Fatalf("orientation %d: %v (announced %dx%d), want %dx%d", c.o, b, f.Width, f.Height, c.w, c.h)
		}
		if !red(out.At(c.redAt.X, c.redAt.Y)) || !blue(out.At(c.blueAt.X, c.blueAt.Y)) {
			t.Errorf("orientation %d: red at %v is %v, blue at %v is %v", c.o, c.redAt, out.At(c.redAt.X, c.redAt.Y), c.blueAt, out.At(c.blueAt.X, c.blueAt.Y))
		}
	}
}

// TestPixelBombRefusedBeforeDecoding: a PNG whose header declares 100000 ×
// 100000 pixels is refused from its header: it has no pixel data at all,
// so reaching the decoder would have answered ErrCorrupt instead.
func TestPixelBombRefusedBeforeDecoding(t *testing.T) {
	bomb := PNGHeaderOnly(100000, 100000)
	if _, err := newProcessor().Image(context.Background(), bomb); !errors.Is(err, upload.ErrTooManyPixels) {
		t.Fatalf("got %v, want ErrTooManyPixels", err)
	}
	if _, err := newProcessor().Avatar(context.Background(), bomb, upload.AvatarSizes); !errors.Is(err, upload.ErrTooManyPixels) {
		t.Fatalf("avatar: got %v, want ErrTooManyPixels", err)
	}
	// A header within the limit reaches the decoder, which finds no pixels.
	if _, err := newProcessor().Image(context.Background(), PNGHeaderOnly(100, 100)); !errors.Is(err, upload.ErrCorrupt) {
		t.Fatalf("small header: got %v, want ErrCorrupt", err)
	}
}

// TestGIFAnimationBombRefused: every frame is within the limit, together
// they are not.
func TestGIFAnimationBombRefused(t *testing.T) {
	p := upload.NewProcessor(1, 1_000_000)
	data := AnimatedGIF(t, 500, 500, 5) // 5 × 250,000 pixels
	if _, err := p.Image(context.Background(), data); !errors.Is(err, upload.ErrTooManyFrames) {
		t.Fatalf("got %v, want ErrTooManyFrames", err)
	}
	if _, err := p.Image(context.Background(), AnimatedGIF(t, 500, 500, 3)); err != nil {
		t.Fatalf("three frames: %v", err)
	}
}

func TestAvatarIsTheCentreSquareAtEachSize(t *testing.T) {
	// 300 × 200: blue bands of 50 px on each side of a red 200 × 200 centre.
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			c := color.RGBA{255, 0, 0, 255}
			if x < 50 || x >= 250 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	files, err := newProcessor().Avatar(context.Background(), buf.Bytes(), upload.AvatarSizes)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(upload.AvatarSizes) {
		t.Fatalf("%d files", len(files))
	}
	for i, f := range files {
		out, err := png.Decode(bytes.NewReader(f.Data))
		if err != nil {
			t.Fatal(err)
		}
		size := upload.AvatarSizes[i]
		if b := out.Bounds(); b.Dx() != size || b.Dy() != size || f.Width != size {
			t.Fatalf("size %d: got %v", size, b)
		}
		for _, p := range []image.Point{{1, 1}, {size - 2, size / 2}, {size / 2, size / 2}} {
			r, _, b, _ := out.At(p.X, p.Y).RGBA()
			if r>>8 < 200 || b>>8 > 50 {
				t.Fatalf("size %d at %v: not the red centre (r=%d b=%d)", size, p, r>>8, b>>8)
			}
		}
	}
}

func TestAttachmentsOnlyWhenAllowedAndWhatTheySay(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	if _, err := upload.Attachment(pdf, "doc.pdf", nil); !errors.Is(err, upload.ErrNotAllowed) {
		t.Fatalf("not allowed: %v", err)
	}
	f, err := upload.Attachment(pdf, "doc.PDF", []string{"pdf"})
	if err != nil || f.ContentType != "application/pdf" || f.Image {
		t.Fatalf("allowed pdf: %+v %v", f, err)
	}
	if _, err := upload.Attachment([]byte("PK\x03\x04 not a pdf"), "doc.pdf", []string{"pdf"}); !errors.Is(err, upload.ErrNotAllowed) {
		t.Fatalf("a zip named .pdf: %v", err)
	}
	if _, err := upload.Attachment(PNG(t, 2, 2), "image.txt", []string{"txt"}); !errors.Is(err, upload.ErrNotAllowed) {
		t.Fatalf("an image as an attachment: %v", err)
	}
}

// Fixtures, written by the tests.

func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), 128, 255})
		}
	}
	return img
}

// PNG is a w × h PNG.
func PNG(t testing.TB, w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// JPEG is a w × h JPEG.
func JPEG(t testing.TB, w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// AnimatedGIF has frames frames of w × h.
func AnimatedGIF(t testing.TB, w, h, frames int) []byte {
	g := &gif.GIF{}
	for i := range frames {
		img := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for x := range w {
			img.SetColorIndex(x, i%h, uint8(i+1))
		}
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// GIFWithComment is a GIF with a comment extension holding text, and text
// again after its trailer.
func GIFWithComment(t testing.TB, text string) []byte {
	data := AnimatedGIF(t, 8, 8, 1)
	// The header (6), the screen descriptor (7) and Plan9's global colour
	// table (768) come first; the comment goes right after them.
	at := 13 + 3*256
	if data[10]&0x80 == 0 {
		at = 13
	}
	ext := []byte{0x21, 0xFE}
	for rest := []byte(text); len(rest) > 0; {
		n := min(len(rest), 255)
		ext = append(ext, byte(n))
		ext = append(ext, rest[:n]...)
		rest = rest[n:]
	}
	ext = append(ext, 0)
	out := append(append(append([]byte{}, data[:at]...), ext...), data[at:]...)
	return append(out, []byte(text)...)
}

func pngChunk(kind string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, kind...)
	out = append(out, data...)
	crc := crc32.ChecksumIEEE(append([]byte(kind), data...))
	return binary.BigEndian.AppendUint32(out, crc)
}

// PNGWithText is a PNG with a tEXt chunk after its header.
func PNGWithText(t testing.TB, key, text string) []byte {
	data := PNG(t, 8, 8)
	at := 8 + 8 + 13 + 4 // signature, IHDR
	chunk := pngChunk("tEXt", append(append([]byte(key), 0), text...))
	return append(append(append([]byte{}, data[:at]...), chunk...), data[at:]...)
}

// PNGHeaderOnly is a PNG signature and a valid header declaring w × h
// pixels, and nothing else.
func PNGHeaderOnly(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8 bits, RGBA
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// JPEGWithOrientation is a w × h JPEG, its left half red and its right
// half blue, with an EXIF orientation (written big-endian, as some cameras
// do).
func JPEGWithOrientation(t testing.TB, w, h, o int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{220, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	tiff := []byte("MM\x00*")
	tiff = be.AppendUint32(tiff, 8)
	tiff = be.AppendUint16(tiff, 1)
	tiff = be.AppendUint16(tiff, 0x0112)
	tiff = be.AppendUint16(tiff, 3)
	tiff = be.AppendUint32(tiff, 1)
	tiff = be.AppendUint16(tiff, uint16(o))
	tiff = be.AppendUint16(tiff, 0)
	tiff = be.AppendUint32(tiff, 0)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = be.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	data := buf.Bytes()
	return append(append(append([]byte{}, data[:2]...), seg...), data[2:]...)
}

// JPEGWithGPS is a JPEG with an EXIF segment giving a GPS position
// (48° 51' 24.06" N).
func JPEGWithGPS(t testing.TB) []byte {
	le := binary.LittleEndian
	tiff := []byte("II*\x00")
	tiff = le.AppendUint32(tiff, 8)
	// IFD0: one entry, the GPS IFD's offset.
	tiff = le.AppendUint16(tiff, 1)
	tiff = le.AppendUint16(tiff, 0x8825)
	tiff = le.AppendUint16(tiff, 4)
	tiff = le.AppendUint32(tiff, 1)
	tiff = le.AppendUint32(tiff, 26)
	tiff = le.AppendUint32(tiff, 0)
	// GPS IFD at 26: latitude reference and latitude (three rationals at 56).
	tiff = le.AppendUint16(tiff, 2)
	tiff = le.AppendUint16(tiff, 1)
	tiff = le.AppendUint16(tiff, 2)
	tiff = le.AppendUint32(tiff, 2)
	tiff = append(tiff, 'N', 0, 0, 0)
	tiff = le.AppendUint16(tiff, 2)
	tiff = le.AppendUint16(tiff, 5)
	tiff = le.AppendUint32(tiff, 3)
	tiff = le.AppendUint32(tiff, 56)
	tiff = le.AppendUint32(tiff, 0)
	for _, r := range [][2]uint32{{48, 1}, {51, 1}, {2406, 100}} {
		tiff = le.AppendUint32(tiff, r[0])
		tiff = le.AppendUint32(tiff, r[1])
	}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	data := JPEG(t, 16, 16)
	return append(append(append([]byte{}, data[:2]...), seg...), data[2:]...)
}
