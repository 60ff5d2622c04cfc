// Package templates holds the HTML templates and translation catalogues,
// embedded so that the binary is self-contained. The server parses them once
// at start-up.
package templates

import "embed"

// FS holds the pages, partials (_*.html) and locales/*.json (the layout,
// the home and thread pages are templ components in package server).
//
//go:embed *.html locales/*.json
var FS embed.FS
