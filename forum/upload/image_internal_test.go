package upload

import (
	"context"
	"errors"
	"testing"
)

// TestDecodingWaitsForASlot: with every slot taken, an image waits, and
// gives up when its request ends, without decoding.
func TestDecodingWaitsForASlot(t *testing.T) {
	p := NewProcessor(1, DefaultMaxPixels)
	if err := p.enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	if _, err := p.Image(ctx, png); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	p.leave()
	if _, err := p.Image(context.Background(), png); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("with a free slot: got %v, want ErrCorrupt (no pixel data)", err)
	}
}
