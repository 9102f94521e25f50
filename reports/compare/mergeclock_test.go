package compare

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestClockNote: the merge warns when the clocks of two processes whose
// offsets land in e2e latency (a shard and its standalone sink; a producer
// shard and a consume process, both against the Kafka broker) are further
// apart, bounds included, than ClockWarnFraction of the merged median
// latency; Kafka shards with their own consumer groups only get the
// spread; processes that measured nothing are named.
func TestClockNote(t *testing.T) {
	us := func(v int64) *int64 { return &v }
	p := &results.Point{Subscribers: []results.Subscriber{{Name: "a",
		Accounting: results.Accounting{Sent: 10, Delivered: 10}, E2E: results.Latency{LatencyUS: results.Summary{P50: 10000}}}}}
	broker := func(i int, off, b int64) results.Shard {
		return results.Shard{Index: i, Count: 3, ClockOffsetUS: us(off), ClockOffsetBoundUS: us(b), ClockReference: "kafka broker"}
	}
	consumer := func(name string, off, b int64) results.Consumer {
		return results.Consumer{Name: name, ClockOffsetUS: us(off), ClockOffsetBoundUS: us(b), ClockReference: "kafka broker"}
	}
	for _, c := range []struct {
		name      string
		shards    []results.Shard
		consumers []results.Consumer
		want      []string
		not       string
	}{
		{"none measured", []results.Shard{{Index: 0, Count: 2}}, nil, []string{""}, ""},
		{"small", []results.Shard{{Index: 0, Count: 2, ClockOffsetUS: us(-300), ClockOffsetBoundUS: us(200), ClockReference: "sink a"}}, nil,
			[]string{"shard 0's clock is up to 500µs off sink a (bound included), within 10%"}, "WARNING"},
		{"large offset", []results.Shard{{Index: 0, Count: 2, ClockOffsetUS: us(100), ClockOffsetBoundUS: us(100), ClockReference: "sink a"},
			{Index: 1, Count: 2, ClockOffsetUS: us(-1500), ClockOffsetBoundUS: us(100), ClockReference: "sink a"}}, nil,
			[]string{"WARNING: shard 1's clock is up to 1.6ms off sink a"}, ""},
		{"large bound", []results.Shard{{Index: 0, Count: 2, ClockOffsetUS: us(0), ClockOffsetBoundUS: us(1200), ClockReference: "sink a"}}, nil,
			[]string{"WARNING: shard 0"}, ""},
		{"kafka: producers and consumers agree", []results.Shard{broker(0, 5000, 300), broker(1, 5200, 300)},
			[]results.Consumer{consumer("c-0", 5100, 300)},
			[]string{"up to 700µs off consume process c-0's (each against kafka broker, bounds included), within 10%"}, "WARNING"},
		{"kafka: a consumer 40ms ahead", []results.Shard{broker(0, -100, 400), broker(1, 200, 400), broker(2, 0, 400)},
			[]results.Consumer{consumer("c-0", 100, 400), consumer("c-1", 40000, 500)},
			[]string{"WARNING: shard 0's clock is up to 41ms off consume process c-1's (each against kafka broker, bounds included), more than 10% of the merged e2e p50 (10ms)"}, ""},
		{"kafka: a consume process measured nothing", []results.Shard{broker(0, 0, 400)},
			[]results.Consumer{consumer("c-0", 100, 400), {Name: "c-1"}},
			[]string{"within 10%", "no estimate from consume process c-1"}, "WARNING"},
		{"kafka: shards with their own groups", []results.Shard{broker(0, 0, 400), broker(1, 30000, 400)}, nil,
			[]string{"shard 0 and shard 1 are up to 30.8ms apart", "not the latencies"}, "WARNING"},
		{"kafka: one shard", []results.Shard{broker(0, 0, 400), {Index: 1, Count: 2}}, nil,
			[]string{"nothing to compare it with", "no estimate from shard 1"}, "WARNING"},
		{"different references are not compared", []results.Shard{broker(0, 0, 400)},
			[]results.Consumer{{Name: "c-0", ClockOffsetUS: us(50000), ClockOffsetBoundUS: us(100), ClockReference: "other"}},
			[]string{"nothing to compare"}, "WARNING"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ests []clockEst
			for _, s := range c.shards {
				ests = append(ests, shardClock(s))
			}
			for _, k := range c.consumers {
				ests = append(ests, consumerClock(k))
			}
			got := clockNote(ests, p)
			for _, w := range c.want {
				if w == "" && got != "" || !strings.Contains(got, w) {
					t.Fatalf("note %q, want %q", got, w)
				}
			}
			if c.not != "" && strings.Contains(got, c.not) {
				t.Fatalf("note %q has %q", got, c.not)
			}
		})
	}
}
