package main

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// TestCheckpointerBoundsItsCost: a save is skipped while less than ten
// times the previous save's duration has passed, and never modifies the
// caller's document.
func TestCheckpointerBoundsItsCost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	c := newCheckpointer(path, io.Discard)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := 0
	// Each save reads the clock twice; make every save take 1 s.
	c.now = func() time.Time {
		calls++
		if calls%2 == 0 {
			now = now.Add(time.Second)
		}
		return now
	}
	doc := tinyResults(t)
	c.save(doc)
	if doc.Status != results.StatusComplete || doc.Error != "" {
		t.Fatalf("save modified the caller's document: %s %q", doc.Status, doc.Error)
	}
	got, err := results.ReadFile(path)
	if err != nil || got.Status != results.StatusInterrupted {
		t.Fatalf("first save: %v, status %v", err, got)
	}
	saves := func() int { return calls / 2 }
	before := saves()
	now = now.Add(5 * time.Second) // under 10x the 1 s cost: skipped
	c.save(doc)
	if saves() != before {
		t.Errorf("saved 5 s after a save that took 1 s, want skipped")
	}
	now = now.Add(6 * time.Second) // 11 s after: saved
	c.save(doc)
	if saves() != before+1 {
		t.Errorf("not saved 11 s after a save that took 1 s")
	}
}
