package server

import (
	"context"
	"fmt"
	"html/template"

	"github.com/a-h/templ"
)

// fieldArgs are the arguments of formField: the form, the field's name,
// its translated label, its input type ("textarea" for a text area, "text"
// when empty), and optionally a hint, an autocomplete token, whether it is
// required and a text area's rows (8 when 0).
type fieldArgs struct {
	Form               *Form
	Name, Label, Type  string
	Hint, Autocomplete string
	Required           bool
	Rows               int
	// Options are a select's (Type "select"); the one whose value the form
	// holds is selected, the first ("" for none, any) when it holds none.
	Options []fieldOption
}

// fieldOption is an option of a select field.
type fieldOption struct{ Value, Label string }

func (f fieldArgs) rows() int {
	if f.Rows > 0 {
		return f.Rows
	}
	return 8
}

func (f fieldArgs) inputType() string {
	if f.Type == "" {
		return "text"
	}
	return f.Type
}

// fieldFromDict reads fieldArgs from the dict an html/template page passes
// to the "field" template ({{template "field" dict "Form" .Form "Name" …}}).
func fieldFromDict(m map[string]any) (fieldArgs, error) {
	var f fieldArgs
	for k, v := range m {
		switch k {
		case "Form":
			form, ok := v.(*Form)
			if !ok && v != nil {
				return f, fmt.Errorf("field: Form is a %T", v)
			}
			f.Form = form
		case "Name", "Label", "Type", "Hint", "Autocomplete":
			s, ok := v.(string)
			if !ok && v != nil {
				return f, fmt.Errorf("field: %s is a %T", k, v)
			}
			switch k {
			case "Name":
				f.Name = s
			case "Label":
				f.Label = s
			case "Type":
				f.Type = s
			case "Hint":
				f.Hint = s
			case "Autocomplete":
				f.Autocomplete = s
			}
		case "Required":
			b, ok := v.(bool)
			if !ok && v != nil {
				return f, fmt.Errorf("field: Required is a %T", v)
			}
			f.Required = b
		case "Rows":
			n, ok := v.(int)
			if !ok && v != nil {
				return f, fmt.Errorf("field: Rows is a %T", v)
			}
			f.Rows = n
		default:
			return f, fmt.Errorf("field: unknown argument %s", k)
		}
	}
	return f, nil
}

// partialFuncs are the template functions through which the html/template
// pages write the templ partials (partials.templ).
var partialFuncs = template.FuncMap{
	"fieldPartial": func(m map[string]any) (template.HTML, error) {
		f, err := fieldFromDict(m)
		if err != nil {
			return "", err
		}
		return goHTML(formField(f))
	},
	"formErrorPartial": func(f *Form) (template.HTML, error) { return goHTML(formError(f)) },
	"watchPartial": func(v *View, action, level string) (template.HTML, error) {
		return goHTML(watchButtons(v, action, level))
	},
	"composeScriptPartial": func(v *View, src string) (template.HTML, error) { return goHTML(composeScript(v, src)) },
	"uploadScriptPartial":  func(v *View, src string) (template.HTML, error) { return goHTML(uploadScript(v, src)) },
	"uploadFieldPartial":   func(v *View, f *Form) (template.HTML, error) { return goHTML(uploadField(v, f)) },
	"avatarImgPartial":     func(a avatarImage) (template.HTML, error) { return goHTML(avatarImg(&a)) },
	"barChartPartial":      func(v *View, ch barChart) (template.HTML, error) { return goHTML(barChartFigure(v, &ch)) },
}

// goHTML renders a component for an html/template page.
func goHTML(c templ.Component) (template.HTML, error) {
	return templ.ToGoHTML(context.Background(), c)
}

// pageFuncs are the functions of every html/template page: asset (a
// static file's hashed address), dict and the partials.
func pageFuncs(asset func(string) (string, error)) template.FuncMap {
	out := template.FuncMap{"asset": asset, "dict": dict}
	for k, v := range partialFuncs {
		out[k] = v
	}
	return out
}
