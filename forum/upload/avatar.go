package upload

import (
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// AvatarSizes are the sides, in pixels, of the avatars the pages use:
// beside a post (48, 96 on dense screens) and on the profile (192).
var AvatarSizes = []int{48, 96, 192}

// Avatar decodes an image (the first frame of an animation), crops its
// centre square and resizes it to each size (Catmull-Rom), as PNGs in the
// order of sizes. An image smaller than a size is enlarged.
func (p *Processor) Avatar(ctx context.Context, data []byte, sizes []int) ([]*File, error) {
	format, _, err := p.config(data)
	if err != nil {
		return nil, err
	}
	if err := p.enter(ctx); err != nil {
		return nil, err
	}
	defer p.leave()
	var img image.Image
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(r)
	case "png":
		img, err = png.Decode(r)
	case "gif":
		img, err = gif.Decode(r)
	default:
		img, err = webp.Decode(r)
	}
	if err != nil {
		return nil, ErrCorrupt
	}
	if format == "jpeg" {
		img = orient(img, jpegOrientation(data))
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	square := image.Rect(x0, y0, x0+side, y0+side)
	out := make([]*File, 0, len(sizes))
	for _, size := range sizes {
		dst := image.NewNRGBA(image.Rect(0, 0, size, size))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, square, draw.Src, nil)
		var buf bytes.Buffer
		if err := encodePNG(&buf, dst); err != nil {
			return nil, err
		}
		out = append(out, newFile(buf.Bytes(), "image/png", "png", size, size, true))
	}
	return out, nil
}
