package main

import (
	"fmt"
	"io"
	"os"

	"github.com/evbench/evbench/reports/ci"
	"github.com/evbench/evbench/reports/results"
)

// appendSummary appends a Markdown rendering to path ("" writes nothing).
// Appending, not truncating, is what $GITHUB_STEP_SUMMARY expects when
// several steps write to it; a fresh file is simply created.
func appendSummary(path string, render func(io.Writer) error) error {
	return writeOutputFile(path, os.O_APPEND, render)
}

// writeJUnitFile replaces path with a JUnit rendering ("" writes nothing):
// two XML documents in one file would be invalid.
func writeJUnitFile(path string, render func(io.Writer) error) error {
	return writeOutputFile(path, os.O_TRUNC, render)
}

func writeOutputFile(path string, mode int, render func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode, 0o644)
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
// replaced; the summary is appended to.
func writeRunCI(res *results.Results, junitPath, mdPath string) error {
	if err := writeJUnitFile(junitPath, func(w io.Writer) error { return ci.WriteRunJUnit(w, res) }); err != nil {
		return err
	}
	return appendSummary(mdPath, func(w io.Writer) error { return ci.WriteRunMarkdown(w, res) })
}
