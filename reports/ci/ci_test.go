package ci

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/junit/junittest"
	"github.com/evbench/evbench/reports/results"
)

// TestRunOutputsGolden renders the fixture run (three systems, three
// subscribers, dead letters on one webhook subscriber) with one failing and
// one passing threshold per point, as Markdown and JUnit.
func TestRunOutputsGolden(t *testing.T) {
	r := fixture.Build(fixture.Options{Seconds: 5})
	r.Environment.Noise = &results.Noise{CPUSpreadPct: 7.5, CPULoopMedianUS: 1800, TimerLateP50US: 80, TimerLateP99US: 450, Samples: 40, DurationMS: 120}
	for i := range r.Points {
		p := &r.Points[i]
		var lost float64
		for _, s := range p.Subscribers {
			lost += float64(s.Accounting.Lost)
		}
		p.Thresholds = []results.Threshold{{Expr: "e2e.p99 < 50ms", Value: 41000, Pass: true}, {Expr: "lost == 0", Value: lost, Pass: lost == 0}}
	}
	failed, total := FailedThresholds(r)
	if total != 2*len(r.Points) || failed < 1 {
		t.Fatalf("fixture: %d of %d thresholds failed; want at least one failure", failed, total)
	}
	for _, g := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"run.md", func(b *bytes.Buffer) error { return WriteRunMarkdown(b, r) }},
		{"run.junit.xml", func(b *bytes.Buffer) error { return WriteRunJUnit(b, r) }},
	} {
		var buf bytes.Buffer
		if err := g.write(&buf); err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(g.file) == ".xml" {
			if err := junittest.CheckSchema(buf.Bytes()); err != nil {
				t.Errorf("%s: not valid JUnit: %v", g.file, err)
			}
		}
		golden.Check(t, filepath.Join("testdata", g.file), buf.Bytes())
	}
}
