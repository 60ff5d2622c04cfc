package forum_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The pool is storage's: the packages that serve requests run SQL through
// DB's narrow API (forum/query.go), not through DB.SQL, which is for
// tests, migrations and ops tools.
func TestOnlyToolsReachThePool(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	for _, dir := range []string{"../moderation", "../server", ".."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			ast.Inspect(f, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "SQL" && len(call.Args) == 0 {
						t.Errorf("%s: calls SQL(): use DB's narrow API (GetContext, SelectContext, ExecContext, Queryer, InTx)", fset.Position(call.Pos()))
					}
				}
				return true
			})
		}
	}
	if checked < 50 {
		t.Fatalf("only %d files checked: the test does not find the packages", checked)
	}
}
