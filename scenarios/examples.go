package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// The example scenarios ship inside the binary, so `evbench run quickstart`
// works from any directory.
//
//go:embed examples/*.yaml
var examplesFS embed.FS

// Examples lists the embedded example names ("ecommerce", "quickstart",
// "sweep"), sorted.
func Examples() []string {
	entries, err := fs.ReadDir(examplesFS, "examples")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(out)
	return out
}

// Example returns the YAML of an embedded example by name; "quickstart",
// "quickstart.yaml", "examples/quickstart.yaml" and
// "scenarios/examples/quickstart.yaml" all name the same one.
func Example(name string) ([]byte, error) {
	base, ok := exampleName(name)
	if !ok {
		return nil, fmt.Errorf("no embedded example %q (have %s): %w", name, strings.Join(Examples(), ", "), fs.ErrNotExist)
	}
	b, err := examplesFS.ReadFile("examples/" + base + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("read embedded example %q: %w", name, err)
	}
	return b, nil
}

// exampleName maps an argument to an embedded example's base name.
func exampleName(arg string) (string, bool) {
	a := strings.TrimPrefix(path.Clean(strings.ReplaceAll(arg, `\`, "/")), "./")
	a = strings.TrimPrefix(a, "scenarios/")
	a = strings.TrimPrefix(a, "examples/")
	a = strings.TrimSuffix(a, ".yaml")
	for _, e := range Examples() {
		if e == a {
			return e, true
		}
	}
	return "", false
}

// Open loads the scenario arg names: a file when one exists at that path,
// otherwise an embedded example ("quickstart", "examples/quickstart.yaml",
// "scenarios/examples/quickstart.yaml", ...). Embedded examples load with
// Scenario.File "" and report errors as examples/NAME.yaml.
func Open(arg string) (*Scenario, error) {
	if _, err := os.Stat(arg); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return LoadFile(arg)
	}
	if base, ok := exampleName(arg); ok {
		data, err := Example(base)
		if err != nil {
			return nil, &Error{File: arg, Msg: err.Error(), Err: err}
		}
		s, lerr := load("examples/"+base+".yaml", "", data)
		if lerr != nil {
			return nil, lerr
		}
		return s, nil
	}
	s, err := LoadFile(arg)
	if e, ok := err.(*Error); ok && errors.Is(err, fs.ErrNotExist) {
		e.Msg += fmt.Sprintf(" (built-in examples: %s)", strings.Join(Examples(), ", "))
	}
	return s, err
}
