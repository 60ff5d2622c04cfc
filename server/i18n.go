package server

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Languages the interface is translated into; the first is the fallback.
var supportedLanguages = []language.Tag{language.French, language.English}

// Catalog holds the translation catalogues (templates/locales/*.LANG.json,
// go-i18n's flat JSON format, which go-i18n parses), compiled per language.
type Catalog struct {
	langs   map[string]*Lang
	def     string
	matcher language.Matcher
	keys    map[string]map[string]bool // language → message ids, for checks
}

// Lang translates into one language.
type Lang struct {
	Code     string
	tag      language.Tag
	messages map[string]*message
	keys     map[string]bool

	// dates.go: texts of dates, written once
	relativeOnce sync.Once
	relative     *relativeTexts
	dates        textCache // by day
	dateTimes    textCache // by minute
}

// LoadCatalog reads every catalogue file under dir in fsys. def is the site's
// default language.
func LoadCatalog(fsys fs.FS, dir, def string) (*Catalog, error) {
	bundle := i18n.NewBundle(language.French)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &Catalog{langs: map[string]*Lang{}, def: def, matcher: language.NewMatcher(supportedLanguages), keys: map[string]map[string]bool{}}
	compiled := map[string]map[string]*message{}
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		mf, err := bundle.ParseMessageFileBytes(b, f)
		if err != nil {
			return nil, fmt.Errorf("translation catalogue %s: %w", f, err)
		}
		base, _ := mf.Tag.Base()
		set := c.keys[base.String()]
		if set == nil {
			set = map[string]bool{}
			c.keys[base.String()] = set
		}
		if compiled[base.String()] == nil {
			compiled[base.String()] = map[string]*message{}
		}
		for _, m := range mf.Messages {
			if set[m.ID] {
				return nil, fmt.Errorf("translation catalogue %s: %q is defined twice", f, m.ID)
			}
			set[m.ID] = true
			cm, err := compileMessage(m)
			if err != nil {
				return nil, fmt.Errorf("translation catalogue %s: %w", f, err)
			}
			compiled[base.String()][m.ID] = cm
		}
	}
	for _, t := range supportedLanguages {
		code := t.String()
		if len(c.keys[code]) == 0 {
			return nil, fmt.Errorf("no translation catalogue for %q under %s", code, dir)
		}
		c.langs[code] = &Lang{Code: code, tag: t, messages: compiled[code], keys: c.keys[code]}
	}
	if c.langs[def] == nil {
		return nil, fmt.Errorf("no translation catalogue for the default language %q", def)
	}
	return c, nil
}

// Lang returns the language for a code, the site's default when unknown.
func (c *Catalog) Lang(code string) *Lang {
	if l := c.langs[code]; l != nil {
		return l
	}
	return c.langs[c.def]
}

// Negotiate picks the language: the member's preference, then the browser's
// Accept-Language, then the site's language (the locale setting, else the
// server's default).
func (c *Catalog) Negotiate(preferred, acceptLanguage, site string) *Lang {
	if l := c.langs[preferred]; l != nil {
		return l
	}
	if acceptLanguage != "" {
		if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
			_, i, conf := c.matcher.Match(tags...)
			if conf >= language.High {
				return c.langs[supportedLanguages[i].String()]
			}
		}
	}
	if l := c.langs[site]; l != nil {
		return l
	}
	return c.langs[c.def]
}

// Keys returns the message ids of a language (for tests and checks).
func (c *Catalog) Keys(code string) map[string]bool { return c.keys[code] }

// T translates a message id; args are name/value pairs for its template, and
// a pair named "Count" chooses the plural form.
func (l *Lang) T(id string, args ...any) string {
	m := l.messages[id]
	if m == nil {
		// A missing message must never break a page; a test checks that
		// every id used exists in every language.
		return "[" + id + "]"
	}
	return format(m, l.tag, argPairs(args))
}

// constant returns the text of a message that takes no argument and has
// one form; ok is false for any other (or a missing) message.
func (l *Lang) constant(id string) (text string, ok bool) {
	m := l.messages[id]
	if m == nil || len(m.forms) != 1 {
		return "", false
	}
	f := m.forms[plural.Other]
	if f == nil || f.tmpl != nil || len(f.segments) != 1 || f.segments[0].arg != "" {
		return "", false
	}
	return f.segments[0].text, true
}

// Msg translates a message id with a map of template data.
func (l *Lang) Msg(id string, data map[string]any) string {
	m := l.messages[id]
	if m == nil {
		return "[" + id + "]"
	}
	return format(m, l.tag, argMap(data))
}

// Has reports whether the language defines a message id.
func (l *Lang) Has(id string) bool { return l.keys[id] }

// isLang reports whether a code is a supported language.
func isLang(code string) bool {
	for _, t := range supportedLanguages {
		if strings.EqualFold(t.String(), code) {
			return true
		}
	}
	return false
}
