package cost

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/reports/results"
)

// withMemory is slowReceiverResults (500 events/s, one subscriber, 2.005 s
// per attempt: 1,002.5 connections held at 500/s) with the given
// sender_memory on its webhook point.
func withMemory(ms ...*results.SenderMemory) *results.Results {
	r := slowReceiverResults()
	var pts []results.Point
	for _, p := range r.Points {
		if p.System != "webhook" {
			pts = append(pts, p)
			continue
		}
		for _, m := range ms {
			q := p
			q.SenderMemory = m
			pts = append(pts, q)
		}
	}
	r.Points = pts
	return r
}

// TestMeasuredMemoryHandComputed prices connection memory from the run's
// measured figure instead of the profile's assumption (handcalc.yaml:
// 1,000 KB per connection, memory at 0.01 per GB-hour, 1,000 hours a
// month). At 500 events/s and one subscriber 1,002.5 connections are held
// (500/s x 2.005 s), so the monthly line is 0.01 x 1000 x 1002.5 x
// bytes/1e9.
func TestMeasuredMemoryHandComputed(t *testing.T) {
	const x = 500 * 3600.0
	tests := []struct {
		name    string
		mem     []*results.SenderMemory
		want    float64 // monthly connection memory
		fit     string  // substring of MemFit
		measure bool
	}{
		{"in flight alone (includes its connection)", []*results.SenderMemory{{PerInFlightBytes: 30000, Samples: 20, Scope: results.MemoryUpperBound}},
			0.30075, "upper bound", true}, // 1002.5 x 30 KB
		{"separated", []*results.SenderMemory{{PerInFlightBytes: 20000, PerConnectionBytes: 8000, Samples: 20, Scope: results.MemorySenderOnly}},
			0.2807, "sender only", true}, // 1002.5 x (20 + 8) KB
		{"mixed: only the in-flight-alone points", []*results.SenderMemory{
			{PerInFlightBytes: 20000, PerConnectionBytes: 8000, Samples: 20, Scope: results.MemorySenderOnly},
			{PerInFlightBytes: 40000, Samples: 10, Scope: results.MemorySenderOnly}},
			0.401, "measured on 2 of 2 points", true}, // 1002.5 x 40 KB
		{"weighted by samples", []*results.SenderMemory{
			{PerInFlightBytes: 10000, Samples: 30, Scope: results.MemoryUpperBound},
			{PerInFlightBytes: 50000, Samples: 10, Scope: results.MemoryUpperBound}},
			0.2005, "upper bound", true}, // (30x10 + 10x50)/40 = 20 KB
		{"unmeasured: profile assumption", []*results.SenderMemory{{Samples: 3, Unmeasured: "3 samples: fewer than 4"}},
			10.025, "not measured: 3 samples", false}, // 1002.5 x 1,000 KB
		{"no sender_memory: profile assumption", []*results.SenderMemory{nil},
			10.025, "no point recorded sender_memory", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			usage, err := MeasuredUsage(withMemory(tc.mem...))
			if err != nil {
				t.Fatal(err)
			}
			m := NewModel(handProfile(t), usage)
			b, err := m.Cost("webhook", x, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Items[CompConnections]; !near(got, tc.want) {
				t.Errorf("connection memory %v a month, want %v", got, tc.want)
			}
			if !strings.Contains(usage["webhook"].MemFit, tc.fit) {
				t.Errorf("mem_fit %q, want it to say %q", usage["webhook"].MemFit, tc.fit)
			}
			if m.MemoryMeasured("webhook") != tc.measure {
				t.Errorf("measured = %v, want %v", !tc.measure, tc.measure)
			}
			if lab, want := m.MemoryLabel("webhook"), map[bool]string{true: "measured: ", false: "assumption: "}[tc.measure]; !strings.HasPrefix(lab, want) {
				t.Errorf("cost line label %q, want it to start %q", lab, want)
			}
			src := m.MemorySource("webhook")
			if want := map[bool]string{true: "measured: ", false: "assumption: "}[tc.measure]; !strings.HasPrefix(src, want) {
				t.Errorf("source %q, want it to start %q", src, want)
			}
		})
	}
}

// TestMeasuredMemoryReport: the cost lines and the model paragraph say the
// measured figure was used (golden).
func TestMeasuredMemoryReport(t *testing.T) {
	usage, err := MeasuredUsage(withMemory(&results.SenderMemory{PerInFlightBytes: 30000, Samples: 20, Scope: results.MemoryUpperBound}))
	if err != nil {
		t.Fatal(err)
	}
	p := handProfile(t)
	tab, err := LinesTable(NewModel(p, usage), 500*3600, 1)
	if err != nil {
		t.Fatal(err)
	}
	par := ModelParagraph(p, usage)
	if !strings.Contains(par, "measured: 30 KB per connection held open") {
		t.Errorf("model paragraph does not say memory was measured:\n%s", par)
	}
	got := FormatTable(tab) + "\n" + FormatTable(UsageTable(usage, []string{"webhook"})) + "\n" + par + "\n"
	golden.Check(t, filepath.Join("testdata", "memory-measured.golden.txt"), []byte(got))
}
