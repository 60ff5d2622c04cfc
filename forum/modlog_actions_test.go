package forum_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
)

// Every action code the code base writes to the moderation log, in Go or
// in SQL, is in the registry (forum.LogActions), so that pages can say it.
// Go: LogEntry.Action is a forum.LogAction, so only constants reach it;
// the constants and conversions must be in modlog_actions.go, and a
// literal code written straight into a LogEntry must be registered. SQL:
// every code an INSERT INTO mod_log writes.
func TestEveryWrittenLogActionIsRegistered(t *testing.T) {
	root := ".."
	registry := filepath.Join(root, "forum", "modlog_actions.go")
	declared := map[string]bool{}
	scanned := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && p != root {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		scanned++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		isLogAction := func(e ast.Expr) bool {
			switch e := e.(type) {
			case *ast.Ident:
				return e.Name == "LogAction"
			case *ast.SelectorExpr:
				return e.Sel.Name == "LogAction"
			}
			return false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec: // const or var of type LogAction
				if n.Type != nil && isLogAction(n.Type) {
					if p != registry {
						t.Errorf("%s: LogAction declared outside the registry", fset.Position(n.Pos()))
					}
					for _, v := range n.Values {
						if lit, ok := v.(*ast.BasicLit); ok {
							s, _ := strconv.Unquote(lit.Value)
							declared[s] = true
						}
					}
				}
			case *ast.CallExpr: // LogAction(x)
				if isLogAction(n.Fun) && p != registry {
					t.Errorf("%s: conversion to LogAction outside the registry", fset.Position(n.Pos()))
				}
			case *ast.CompositeLit: // LogEntry{Action: "…"}
				typ, ok := n.Type.(*ast.Ident)
				if sel, isSel := n.Type.(*ast.SelectorExpr); isSel {
					typ, ok = sel.Sel, true
				}
				if !ok || typ.Name != "LogEntry" {
					return true
				}
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if k, isIdent := kv.Key.(*ast.Ident); !ok || !isIdent || k.Name != "Action" {
						continue
					}
					if lit, ok := kv.Value.(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						if !forum.IsLogAction(s) {
							t.Errorf("%s: action %q is not in forum.LogActions", fset.Position(lit.Pos()), s)
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 100 || len(declared) < 40 {
		t.Fatalf("scanned %d files, %d declared codes: the scan is broken", scanned, len(declared))
	}
	for code := range declared {
		if !forum.IsLogAction(code) {
			t.Errorf("the constant %q is not listed in forum.LogActions", code)
		}
	}

	// SQL: the current schema's functions and every migration.
	insert := regexp.MustCompile(`(?is)INSERT\s+INTO\s+mod_log\b[^;]*`)
	code := regexp.MustCompile(`'([a-z_]+\.[a-z_]+)'`)
	files, _ := filepath.Glob(filepath.Join(root, "migrations", "*.sql"))
	if len(files) < 40 {
		t.Fatalf("found %d migrations", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range insert.FindAllString(string(b), -1) {
			for _, m := range code.FindAllStringSubmatch(stmt, -1) {
				if !forum.IsLogAction(m[1]) {
					t.Errorf("%s writes the action %q, not in forum.LogActions", p, m[1])
				}
			}
		}
	}
}
