package server

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palabre/palabre/templates"
)

// A page the handlers render but the templates lack stops the start, and so
// does a template that does not parse.
func TestLoadPagesFailsTheStartOnAMissingOrBrokenPage(t *testing.T) {
	funcs := pageFuncs(func(string) (string, error) { return "", nil })
	if _, err := LoadPages(templates.FS, funcs); err != nil {
		t.Fatalf("the real templates: %v", err)
	}
	fsys := fstest.MapFS{}
	for _, name := range pageNames {
		if name != "error" {
			fsys[name+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}x{{end}}`)}
		}
	}
	_, err := LoadPages(fsys, funcs)
	if err == nil || !strings.Contains(err.Error(), "error.html is missing") {
		t.Errorf("missing error.html: %v", err)
	}
	fsys["error.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{.Nope "x"}{{end}}`)}
	if _, err := LoadPages(fsys, funcs); err == nil {
		t.Error("a template that does not parse was accepted")
	}
	fsys["error.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{undefinedFunc}}{{end}}`)}
	if _, err := LoadPages(fsys, funcs); err == nil {
		t.Error("a template calling an undefined function was accepted")
	}
	fsys["error.html"] = &fstest.MapFile{Data: []byte(`<p>no content</p>`)}
	if _, err := LoadPages(fsys, funcs); err == nil || !strings.Contains(err.Error(), "defines no content") {
		t.Errorf("a page without content: %v", err)
	}
}
