package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder captures failures instead of failing the outer test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.errs = append(r.errs, sprintf(f, a...)); panic(r) }
func (r *recorder) Fatal(a ...any)            { r.errs = append(r.errs, sprintf("%v", a...)); panic(r) }

func run(tb testing.TB, path string, got []byte) (errs []string) {
	r := &recorder{TB: tb}
	defer func() {
		if p := recover(); p != nil && p != any(r) {
			panic(p)
		}
		errs = r.errs
	}()
	Check(r, path, got)
	return r.errs
}

func TestCheck(t *testing.T) {
	if Updating() {
		t.Skip("meaningless with -update")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.golden")
	if err := os.WriteFile(path, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, got string
		want            []string // substrings of the one failure; nil: passes
	}{
		{"equal", path, "a\nb\nc\n", nil},
		{"changed line", path, "a\nB\nc\n", []string{"x.golden", "line 2", `"B"`, `"b"`, "-update"}},
		{"longer", path, "a\nb\nc\nd\ne\n", []string{"line 4", `"d"`}},
		{"shorter", path, "a\nb", []string{"output ends at line 2", `"c"`}},
		{"trailing newline only", path, "a\nb\nc", []string{"output ends at line 3"}},
		{"missing file", filepath.Join(dir, "none.golden"), "a", []string{"none.golden", "-update creates it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := run(t, tc.path, []byte(tc.got))
			if tc.want == nil {
				if len(errs) != 0 {
					t.Fatalf("want a pass, got %q", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("want one failure, got %q", errs)
			}
			for _, s := range tc.want {
				if !strings.Contains(errs[0], s) {
					t.Errorf("failure %q does not mention %q", errs[0], s)
				}
			}
		})
	}
}

// TestCheckUpdate: with -update the file is (re)written, directories
// included, and the comparison then passes.
func TestCheckUpdate(t *testing.T) {
	old := *update
	*update = true
	defer func() { *update = old }()
	path := filepath.Join(t.TempDir(), "testdata", "new.golden")
	if errs := run(t, path, []byte("fresh\n")); len(errs) != 0 {
		t.Fatalf("update: %q", errs)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "fresh\n" {
		t.Fatalf("after update: %q, %v", b, err)
	}
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
