package server

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages the interface is translated into; the first is the fallback.
var supportedLanguages = []language.Tag{language.French, language.English}

// Catalog holds the translation catalogues (templates/locales/*.LANG.json,
// go-i18n's flat JSON format) in one go-i18n bundle, and a localizer per
// language.
type Catalog struct {
	langs   map[string]*Lang
	def     string
	matcher language.Matcher
	keys    map[string]map[string]bool // language → message ids, for checks
}

// Lang translates into one language, with go-i18n's Localizer: its
// templates (text/template, parsed once per message) and its CLDR plural
// rules.
type Lang struct {
	Code      string
	localizer *i18n.Localizer
	keys      map[string]bool
	// constants are the texts of the messages that have one form and no
	// placeholder: the labels, most of the messages a page asks for.
	// They are answered without the localizer, whose language matching
	// and template would give the same text (TestConstantsAsTheLocalizer).
	constants map[string]string

	// dates.go: texts of dates, written once
	relativeOnce sync.Once
	relative     *relativeTexts
	dates        textCache // by day
	dateTimes    textCache // by minute

	// compose_labels.go: the composer's labels as JSON, written once
	composeOnce   sync.Once
	composeLabels string
}

// LoadCatalog reads every catalogue file under dir in fsys. def is the site's
// default language.
func LoadCatalog(fsys fs.FS, dir, def string) (*Catalog, error) {
	bundle := i18n.NewBundle(supportedLanguages[0])
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &Catalog{langs: map[string]*Lang{}, def: def, matcher: language.NewMatcher(supportedLanguages), keys: map[string]map[string]bool{}}
	messages := map[string]map[string]*i18n.Message{}
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
		code := base.String()
		if c.keys[code] == nil {
			c.keys[code], messages[code] = map[string]bool{}, map[string]*i18n.Message{}
		}
		for _, m := range mf.Messages {
			if c.keys[code][m.ID] {
				return nil, fmt.Errorf("translation catalogue %s: %q is defined twice", f, m.ID)
			}
			if m.Other == "" {
				return nil, fmt.Errorf("translation catalogue %s: message %q has no \"other\" form", f, m.ID)
			}
			c.keys[code][m.ID] = true
			messages[code][m.ID] = m
		}
	}
	for _, t := range supportedLanguages {
		code := t.String()
		if len(c.keys[code]) == 0 {
			return nil, fmt.Errorf("no translation catalogue for %q under %s", code, dir)
		}
		l := &Lang{Code: code, localizer: i18n.NewLocalizer(bundle, code), keys: c.keys[code], constants: map[string]string{}}
		for id, m := range messages[code] {
			if m.Zero == "" && m.One == "" && m.Two == "" && m.Few == "" && m.Many == "" && !strings.Contains(m.Other, "{{") {
				l.constants[id] = m.Other
			}
		}
		c.langs[code] = l
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
	if text, ok := l.constants[id]; ok {
		return text
	}
	if len(args) == 0 {
		return l.Msg(id, nil)
	}
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			data[k] = args[i+1]
		}
	}
	return l.Msg(id, data)
}

// Msg translates a message id with a map of template data. A Count, Max or
// Min in data chooses the plural form.
func (l *Lang) Msg(id string, data map[string]any) string {
	if !l.keys[id] {
		// A missing message must never break a page; a test checks that
		// every id used exists in every language. (go-i18n would fall back
		// to the bundle's first language.)
		return "[" + id + "]"
	}
	if text, ok := l.constants[id]; ok {
		return text
	}
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := pluralCount(data); ok {
		lc.PluralCount = n
	}
	// The errors left are a plural form the message lacks (go-i18n then
	// gives its "other" form) or a template that fails on data (an empty
	// text): a page is still written.
	text, _ := l.localizer.Localize(lc)
	return text
}

// constant returns the text of a message that takes no argument and has
// one form; ok is false for any other (or a missing) message.
func (l *Lang) constant(id string) (text string, ok bool) {
	text, ok = l.constants[id]
	return text, ok
}

// pluralCount finds the number that chooses the plural form: the first of
// a Count, Max or Min argument, when it is a whole number.
func pluralCount(data map[string]any) (int, bool) {
	for _, k := range [...]string{"Count", "Max", "Min"} {
		v, ok := data[k]
		if !ok {
			continue
		}
		switch n := v.(type) {
		case int:
			return n, true
		case int64:
			return int(n), true
		case int32:
			return int(n), true
		case float64:
			return int(n), true
		case string:
			if i, err := strconv.Atoi(n); err == nil {
				return i, true
			}
		}
		return 0, false
	}
	return 0, false
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
