package server

import (
	"bytes"
	"flag"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/a-h/templ/generator"
	"github.com/a-h/templ/parser/v2"
)

var update = flag.Bool("update", false, "regenerate the Go code of the templ components (*_templ.go)")

// The Go code of each templ component is what templ generates from its
// .templ file, as `templ generate` writes it: change the .templ file, then
// go test ./server -run TestTemplGenerated -update.
func TestTemplGenerated(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no .templ file: %v", err)
	}
	for _, f := range files {
		tf, err := parser.Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := generator.Generate(tf, &b, generator.WithFileName(f), generator.WithVersion(templ.Version())); err != nil {
			t.Fatal(err)
		}
		want, err := format.Source(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		goFile := strings.TrimSuffix(f, ".templ") + "_templ.go"
		if *update {
			if err := os.WriteFile(goFile, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(goFile); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what templ generates from %s (%v): go test ./server -run TestTemplGenerated -update", goFile, f, err)
		}
	}
}
