// Package templates holds the HTML templates and translation catalogues,
// embedded so that the binary is self-contained. The server parses them once
// at start-up.
package templates

import "embed"

// FS holds layout.html, the pages, partials (_*.html) and locales/*.json.
//
//go:embed *.html locales/*.json
var FS embed.FS
