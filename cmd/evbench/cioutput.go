package main

import (
	"fmt"
	"io"
	"os"

	"github.com/evbench/evbench/reports/ci"
	"github.com/evbench/evbench/reports/results"
)

// writeOutputFile appends a rendering to path ("" writes nothing).
// Appending, not truncating, is what $GITHUB_STEP_SUMMARY expects when
// several steps write to it; a fresh file is simply created.
func writeOutputFile(path string, render func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if err := render(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// writeRunCI writes `evbench run --junit FILE --summary-md FILE`: the
// run's thresholds as JUnit XML and a Markdown summary. The JUnit file is
// replaced (one report per run); the summary is appended to (see
// writeOutputFile).
func writeRunCI(res *results.Results, junitPath, mdPath string) error {
	if junitPath != "" {
		if err := os.Remove(junitPath); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("replace %s: %w", junitPath, err)
		}
	}
	if err := writeOutputFile(junitPath, func(w io.Writer) error { return ci.WriteRunJUnit(w, res) }); err != nil {
		return err
	}
	return writeOutputFile(mdPath, func(w io.Writer) error { return ci.WriteRunMarkdown(w, res) })
}
