package upload

import (
	"bytes"
	"errors"
	"path"
	"strings"
	"unicode/utf8"
)

// ErrNotAllowed refuses a file that is no image and whose kind the admin
// does not allow as an attachment, or whose bytes are not what its
// extension says.
var ErrNotAllowed = errors.New("upload: file type not allowed")

// signatures are the first bytes of the attachment kinds whose content
// can be checked; an allowed extension not listed here is stored as
// application/octet-stream.
var signatures = map[string][]string{
	"pdf": {"%PDF-"},
	"zip": {"PK\x03\x04", "PK\x05\x06"},
	"gz":  {"\x1f\x8b"},
	"7z":  {"7z\xbc\xaf\x27\x1c"},
	"mp3": {"ID3", "\xff\xfb", "\xff\xf3", "\xff\xf2"},
	"ogg": {"OggS"},
}

// contentTypes are the types attachments are served with; always as
// attachments (Content-Disposition), never shown by the browser in the
// forum's origin.
var contentTypes = map[string]string{
	"pdf": "application/pdf",
	"zip": "application/zip",
	"gz":  "application/gzip",
	"7z":  "application/x-7z-compressed",
	"mp3": "audio/mpeg",
	"ogg": "audio/ogg",
	"txt": "text/plain; charset=utf-8",
	"csv": "text/csv; charset=utf-8",
	"md":  "text/markdown; charset=utf-8",
}

// NeverAttachable are the extensions no setting may allow: documents a
// browser runs or renders as a page, and the image types, which are
// re-encoded, never stored as they came.
var NeverAttachable = map[string]bool{
	"html": true, "htm": true, "xhtml": true, "xht": true, "shtml": true, "svg": true, "svgz": true,
	"xml": true, "xsl": true, "js": true, "mjs": true, "swf": true,
	"jpg": true, "jpeg": true, "png": true, "gif": true, "webp": true,
}

// Extension is the lowercased extension of a file name, "" when it has
// none or one that is not plain letters and digits.
func Extension(name string) string {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(strings.ReplaceAll(name, "\\", "/")), "."))
	if ext == "" || len(ext) > 10 {
		return ""
	}
	for _, r := range ext {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return ""
		}
	}
	return ext
}

// Attachment checks a file that is no image against the allowed
// extensions: the extension must be allowed (never one of
// NeverAttachable), and bytes whose kind can be checked must match it.
// Anything that looks like markup is refused whatever its name.
func Attachment(data []byte, name string, allowed []string) (*File, error) {
	ext := Extension(name)
	if ext == "" || NeverAttachable[ext] || !contains(allowed, ext) {
		return nil, ErrNotAllowed
	}
	if Sniff(data) != "" || looksLikeMarkup(data) {
		return nil, ErrNotAllowed
	}
	if sigs, ok := signatures[ext]; ok && !hasAnyPrefix(data, sigs) {
		return nil, ErrNotAllowed
	}
	ct, ok := contentTypes[ext]
	if !ok {
		ct = "application/octet-stream"
	}
	if strings.HasPrefix(ct, "text/") && !utf8.Valid(data) {
		return nil, ErrNotAllowed
	}
	return newFile(data, ct, ext, 0, 0, false), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimPrefix(x, "."), s) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(data []byte, prefixes []string) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(data, []byte(p)) {
			return true
		}
	}
	return false
}

// looksLikeMarkup reports whether the start of data is HTML, SVG or XML,
// as a browser's sniffer would see it.
func looksLikeMarkup(data []byte) bool {
	head := bytes.ToLower(bytes.TrimLeft(data[:min(len(data), 1024)], "\t\n\f\r \xef\xbb\xbf"))
	for _, p := range []string{"<!doctype", "<html", "<head", "<body", "<script", "<svg", "<?xml", "<iframe", "<!--", "<div", "<a ", "<img", "<style", "<title"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return true
		}
	}
	return false
}
