// Package golden is the one golden-file helper for evbench's tests: a test
// renders its output and Check compares it byte for byte with a file under
// testdata/. Running the tests with -update rewrites the files instead, so a
// change in output is a reviewed change of the golden file.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// update is the single -update flag every package's tests share.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/ instead of comparing with them")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Check compares got with the golden file at path (normally
// testdata/<name>). With -update it first writes got there, creating the
// directory. A missing file or any difference fails the test, naming the
// file, the first differing line and how to rewrite it.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it; review the diff): %s", path, firstDiff(got, want))
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		switch {
		case i >= len(g):
			return fmt.Sprintf("output ends at line %d; golden line %d: %q", len(g), i+1, w[i])
		case i >= len(w):
			return fmt.Sprintf("golden file ends at line %d; output line %d: %q", len(w), i+1, g[i])
		case !bytes.Equal(g[i], w[i]):
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, g[i], w[i])
		}
	}
	return "no line differs" // unreachable when the bytes differ
}
