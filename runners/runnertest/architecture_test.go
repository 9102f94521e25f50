package runnertest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the directory holding go.mod, found from this package's
// directory upwards.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = up
	}
}

// goPackages lists the repository's package directories (relative, slash
// separated) and whether each has non-test Go files.
func goPackages(t *testing.T, root string) map[string]bool {
	t.Helper()
	pkgs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		pkgs[rel] = pkgs[rel] || !strings.HasSuffix(name, "_test.go")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// docPath is a backticked repository directory in docs/architecture.md.
var docPath = regexp.MustCompile("`((?:cmd|internal|runners|reports|scenarios|deploy|scripts)(?:/[a-z0-9_]+)*)`")

// mapRow is a row of the package map table: | `dir` | ... |.
var mapRow = regexp.MustCompile("(?m)^\\| `([a-z0-9_/]+)` \\|")

// TestArchitectureDoc keeps docs/architecture.md true to the tree: every
// package directory it names exists, and every non-test package is a row
// of its package map (issue 8 item 8).
func TestArchitectureDoc(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	pkgs := goPackages(t, root)
	for _, m := range docPath.FindAllStringSubmatch(doc, -1) {
		if _, ok := pkgs[m[1]]; !ok {
			t.Errorf("docs/architecture.md names %s, which is not a Go package directory", m[1])
		}
	}
	var rows []string
	for _, m := range mapRow.FindAllStringSubmatch(doc, -1) {
		rows = append(rows, m[1])
		if !pkgs[m[1]] {
			t.Errorf("the package map lists %s, which has no non-test Go files", m[1])
		}
	}
	if len(rows) < 10 {
		t.Fatalf("found %d package map rows: is the table still `| \\`dir\\` | ... |`?", len(rows))
	}
	for dir, nonTest := range pkgs {
		if nonTest && !slices.Contains(rows, dir) {
			t.Errorf("package %s is not in docs/architecture.md's package map", dir)
		}
	}
}
