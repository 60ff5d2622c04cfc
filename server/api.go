package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// bindJSON decodes a JSON request body strictly (unknown fields refused),
// answering the error itself; it reports whether the handler may go on.
// Text that PostgreSQL could not store as typed is refused, not mended:
// invalid UTF-8 (encoding/json would turn it into U+FFFD), NUL characters
// and lone surrogates ("\u0000", "\ud800"). Clients read a catalogue
// message naming the field, never the decoder's own words.
func (s *Server) bindJSON(c *gin.Context, dst any) bool {
	body, err := io.ReadAll(c.Request.Body)
	if err == nil && len(bytes.TrimSpace(body)) == 0 {
		err = io.EOF
	}
	if err == nil {
		if at := jsonTextInvalidAt(body); at >= 0 {
			fe := forum.Errorf(forum.EINVALID, "error.body_invalid_text", nil)
			if key := jsonKeyBefore(body[:at]); key != "" {
				fe = fe.OnField(key)
			}
			s.fail(c, fe)
			return false
		}
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(dst)
		if err == nil && dec.More() {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err != nil {
		s.fail(c, jsonError(err))
		return false
	}
	return true
}

// jsonError turns a decoding error into the domain error clients read.
func jsonError(err error) error {
	var (
		tooBig   *http.MaxBytesError
		typeErr  *json.UnmarshalTypeError
		syntaxOf *json.SyntaxError
	)
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.Is(err, io.EOF):
		return forum.Errorf(forum.EINVALID, "error.body_empty", nil)
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return forum.Errorf(forum.EINVALID, "error.body_field_invalid", map[string]any{"Field": typeErr.Field}).OnField(typeErr.Field)
	case errors.As(err, &syntaxOf):
		return forum.Errorf(forum.EINVALID, "error.body_invalid_json", nil)
	}
	// encoding/json has no type for an unknown field: its message names it.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		// Named in the message, not as the field at fault: no form has it.
		return forum.Errorf(forum.EINVALID, "error.body_field_unknown", map[string]any{"Field": strings.Trim(name, `"`)})
	}
	return forum.Errorf(forum.EINVALID, "error.body_invalid_json", nil)
}

// jsonTextInvalidAt returns the offset of the first invalid UTF-8, NUL or
// lone surrogate escape ("\u0000", "\ud800") of a JSON text, -1 when there
// is none. It only reads escapes: the decoder judges the rest.
func jsonTextInvalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 || r == 0 {
			return i
		}
		i += size
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		at := i
		i++ // the escaped character
		if b[i] != 'u' {
			continue
		}
		r, ok := hex4(b[i+1:])
		if !ok {
			return -1 // not JSON: the decoder says so
		}
		i += 4
		switch {
		case r == 0:
			return at
		case r >= 0xDC00 && r <= 0xDFFF: // a low surrogate alone
			return at
		case r >= 0xD800 && r <= 0xDBFF: // a high surrogate: a low one must follow
			if i+2 >= len(b) || b[i+1] != '\\' || b[i+2] != 'u' {
				return at
			}
			low, ok := hex4(b[i+3:])
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return at
			}
			i += 6
		}
	}
	return -1
}

// jsonKeyBefore returns the key of the last `"key":` of a JSON text's
// beginning: the field of the string that follows ("" when there is none
// or it is not a plain name).
func jsonKeyBefore(b []byte) string {
	colon := bytes.LastIndexByte(b, ':')
	if colon < 0 {
		return ""
	}
	k := bytes.TrimRight(b[:colon], " \t\r\n")
	if len(k) < 2 || k[len(k)-1] != '"' {
		return ""
	}
	open := bytes.LastIndexByte(k[:len(k)-1], '"')
	if open < 0 {
		return ""
	}
	key := string(k[open+1 : len(k)-1])
	for _, r := range key {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return ""
		}
	}
	return key
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// apiMe answers who the bearer of the token is.
func (s *Server) apiMe(c *gin.Context) {
	m, err := forum.RequireMember(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"member": m})
}
