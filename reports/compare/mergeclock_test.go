package compare

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestClockNote: the merge warns when a shard's clock offset (plus its
// error bound) exceeds ClockWarnFraction of the merged median latency.
func TestClockNote(t *testing.T) {
	us := func(v int64) *int64 { return &v }
	p := &results.Point{Subscribers: []results.Subscriber{{Name: "a",
		Accounting: results.Accounting{Sent: 10, Delivered: 10}, E2E: results.Latency{LatencyUS: results.Summary{P50: 10000}}}}}
	for _, c := range []struct {
		name   string
		shards []results.Shard
		want   string
	}{
		{"none measured", []results.Shard{{Index: 0, Count: 2}}, ""},
		{"small", []results.Shard{{Index: 0, Count: 2, ClockOffsetUS: us(-300), ClockOffsetBoundUS: us(200), ClockReference: "sink a"}}, "within 10%"},
		{"large offset", []results.Shard{{Index: 0, Count: 2, ClockOffsetUS: us(100), ClockOffsetBoundUS: us(100)},
			{Index: 1, Count: 2, ClockOffsetUS: us(-1500), ClockOffsetBoundUS: us(100), ClockReference: "sink a"}}, "WARNING: shard 1's clock is up to 1.6ms off sink a"},
		{"large bound", []results.Shard{{Index: 0, Count: 2, ClockOffsetUS: us(0), ClockOffsetBoundUS: us(1200), ClockReference: "sink a"}}, "WARNING: shard 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := clockNote(c.shards, p)
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Fatalf("note %q, want %q", got, c.want)
			}
		})
	}
}
