package server

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// message is one catalogue entry, its plural forms compiled once at start-up:
// pages call translations dozens of times each, so formatting must cost no
// parsing and, for the common {{.Name}} placeholders, no reflection.
type message struct {
	forms map[plural.Form]*messageFormat
}

// messageFormat is one plural form: plain segments when the text only
// interpolates {{.Name}} placeholders, a parsed template otherwise
// ({{if .X}}…{{end}} in a few mails).
type messageFormat struct {
	segments []segment
	tmpl     *template.Template
}

type segment struct {
	text string // literal text, or
	arg  string // the name of a placeholder
}

func compileMessage(m *i18n.Message) (*message, error) {
	out := &message{forms: map[plural.Form]*messageFormat{}}
	for form, text := range map[plural.Form]string{
		plural.Zero: m.Zero, plural.One: m.One, plural.Two: m.Two,
		plural.Few: m.Few, plural.Many: m.Many, plural.Other: m.Other,
	} {
		if text == "" {
			continue
		}
		f, err := compileFormat(m.ID, text)
		if err != nil {
			return nil, err
		}
		out.forms[form] = f
	}
	if out.forms[plural.Other] == nil {
		return nil, fmt.Errorf("message %q has no \"other\" form", m.ID)
	}
	return out, nil
}

func compileFormat(id, text string) (*messageFormat, error) {
	f := &messageFormat{}
	rest := text
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			f.segments = append(f.segments, segment{text: rest})
			break
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("message %q: unclosed {{", id)
		}
		action := strings.TrimSpace(rest[open+2 : open+end])
		if !simplePlaceholder(action) {
			t, err := template.New(id).Option("missingkey=zero").Parse(text)
			if err != nil {
				return nil, fmt.Errorf("message %q: %w", id, err)
			}
			return &messageFormat{tmpl: t}, nil
		}
		if open > 0 {
			f.segments = append(f.segments, segment{text: rest[:open]})
		}
		f.segments = append(f.segments, segment{arg: action[1:]})
		rest = rest[open+end+2:]
	}
	return f, nil
}

// simplePlaceholder reports whether an action is just {{.Name}}.
func simplePlaceholder(a string) bool {
	if len(a) < 2 || a[0] != '.' {
		return false
	}
	for _, r := range a[1:] {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// messageArgs are a message's arguments: the name/value pairs Lang.T
// receives (looked up in place: no map to build for each label), or the map
// Lang.Msg receives.
type messageArgs interface {
	argPairs | argMap
	get(name string) (any, bool)
}

type argPairs []any

func (a argPairs) get(name string) (any, bool) {
	for i := 0; i+1 < len(a); i += 2 {
		if k, ok := a[i].(string); ok && k == name {
			return a[i+1], true
		}
	}
	return nil, false
}

type argMap map[string]any

func (m argMap) get(name string) (any, bool) {
	v, ok := m[name]
	return v, ok
}

// format writes the message for args, choosing the plural form from the
// count (a Count, Max or Min argument) by the language's CLDR rules.
func format[A messageArgs](m *message, tag language.Tag, args A) string {
	f := m.forms[plural.Other]
	if n, ok := pluralCount(args); ok {
		if pf := m.forms[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]; pf != nil {
			f = pf
		}
	}
	if f.tmpl != nil {
		var b strings.Builder
		if err := f.tmpl.Execute(&b, asMap(args)); err != nil {
			return ""
		}
		return b.String()
	}
	if len(f.segments) == 1 && f.segments[0].arg == "" {
		return f.segments[0].text
	}
	var b strings.Builder
	for _, s := range f.segments {
		if s.arg == "" {
			b.WriteString(s.text)
			continue
		}
		v, _ := args.get(s.arg)
		switch v := v.(type) {
		case nil:
			b.WriteString("<no value>")
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			// Like text/template, print what a pointer points to.
			rv := reflect.ValueOf(v)
			for rv.Kind() == reflect.Pointer && !rv.IsNil() {
				rv = rv.Elem()
			}
			if rv.Kind() == reflect.Pointer {
				b.WriteString("<nil>")
			} else {
				fmt.Fprint(&b, rv.Interface())
			}
		}
	}
	return b.String()
}

// asMap is what a message written as a template ({{if .X}}) executes with.
func asMap[A messageArgs](args A) map[string]any {
	switch a := any(args).(type) {
	case argMap:
		return a
	case argPairs:
		m := make(map[string]any, len(a)/2)
		for i := 0; i+1 < len(a); i += 2 {
			if k, ok := a[i].(string); ok {
				m[k] = a[i+1]
			}
		}
		return m
	}
	return nil
}

// pluralCount finds the number that chooses the plural form.
func pluralCount[A messageArgs](args A) (int, bool) {
	for _, k := range [...]string{"Count", "Max", "Min"} {
		v, ok := args.get(k)
		if !ok {
			continue
		}
		switch n := v.(type) {
		case int:
			return abs(n), true
		case int64:
			return abs(int(n)), true
		case int32:
			return abs(int(n)), true
		case float64:
			return abs(int(n)), true
		case string:
			if i, err := strconv.Atoi(n); err == nil {
				return abs(i), true
			}
		}
		return 0, false
	}
	return 0, false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
