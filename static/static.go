// Package static holds the stylesheets, scripts and images, embedded so that
// the binary is self-contained. The server serves them under content-hashed
// URLs with immutable caching.
package static

import "embed"

// FS holds css/, js/ and img/.
//
//go:embed css js img
var FS embed.FS
