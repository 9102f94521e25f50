package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/scenarios"
)

// TestBlockErrorsUnchanged loads scenarios with mistakes in every system
// block (and the rules between blocks: url subscribers, sink ledgers,
// batch size, thresholds, sweeps, flow hops) and compares the loader's
// messages with testdata/block_errors.golden, which was written by the
// loader before the blocks moved into their systems' packages: moving them
// changed no message, position or allowed list.
func TestBlockErrorsUnchanged(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "block_errors", "*.yaml"))
	if err != nil || len(files) < 40 {
		t.Fatalf("found %d inputs (%v)", len(files), err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		sc, err := scenarios.LoadBytes(name, data)
		if err == nil {
			_, err = sc.Expand()
		}
		b.WriteString(name + ": ")
		if err != nil {
			b.WriteString(err.Error())
		} else {
			b.WriteString("valid " + strings.Join(sc.Systems.Names(), ","))
		}
		b.WriteString("\n")
	}
	golden.Check(t, filepath.Join("testdata", "block_errors.golden"), []byte(b.String()))
}
