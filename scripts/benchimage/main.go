// Command benchimage writes the photo the upload scenario of make bench
// sends (scripts/bench_upload.lua): a 1600 × 1200 JPEG of gradients and
// noise, about what a phone's picture is once a forum's client has scaled
// it, on stdout.
package main

import (
	"bufio"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"math/rand/v2"
	"os"
)

func main() {
	const w, h = 1600, 1200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2)) // the same picture at every run
	for y := range h {
		for x := range w {
			n := uint8(r.IntN(24))
			img.Set(x, y, color.RGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, uint8((x+y)*255/(w+h)) - n, 255})
		}
	}
	out := bufio.NewWriter(os.Stdout)
	if err := jpeg.Encode(out, img, &jpeg.Options{Quality: 85}); err != nil {
		log.Fatal(err)
	}
	if err := out.Flush(); err != nil {
		log.Fatal(err)
	}
}
