package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestMergeRefusesOutputThatIsAnInput: --out naming an input, by path, via
// a folder, or as the same file through a symbolic or hard link, is bad
// input and leaves the input as it was (issue 9 item 13).
func TestMergeRefusesOutputThatIsAnInput(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, p := range []string{a, b} {
		if err := results.WriteFile(p, tinyResults(t)); err != nil {
			t.Fatal(err)
		}
	}
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	inFolder := filepath.Join(sub, "results.json")
	if err := results.WriteFile(inFolder, tinyResults(t)); err != nil {
		t.Fatal(err)
	}
	sym, hard := filepath.Join(dir, "sym.json"), filepath.Join(dir, "hard.json")
	if err := os.Symlink(a, sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(b, hard); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mustGetwd(t), a)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, p := range []string{a, b, inFolder} {
		before[p], _ = os.ReadFile(p)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"same path", []string{a, b, "--out", a}},
		{"same file by another path", []string{a, b, "--out", rel}},
		{"folder holding an input's results.json", []string{inFolder, a, "--out", sub}},
		{"symbolic link to an input", []string{a, b, "--out", sym}},
		{"hard link to an input", []string{a, b, "--out", hard}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code := run(append([]string{"merge"}, tc.args...)); code != exitBadInput {
				t.Errorf("merge %v: exit %d, want %d", tc.args, code, exitBadInput)
			}
		})
	}
	for p, want := range before {
		if got, _ := os.ReadFile(p); string(got) != string(want) {
			t.Errorf("%s changed by a refused merge", p)
		}
	}
	if code := run([]string{"merge", a, b, "--out", filepath.Join(dir, "m.json")}); code != exitOK {
		t.Errorf("merge into a new file: exit %d", code)
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
