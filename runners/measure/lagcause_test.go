package measure

import (
	"strings"
	"testing"
	"time"
)

// TestLagCauseNote: a generator lag over the SLO is attributed to late
// wake-ups with the process not running, to evbench's own goroutines
// competing for a P, or to handing events out; a lag within the SLO gets
// no note.
func TestLagCauseNote(t *testing.T) {
	cases := []struct {
		name                 string
		p99, wakeLate, nLate int64
		sched                time.Duration
		want                 string // substring; "" means no note
	}{
		{"within the SLO", 1000, 50_000, 3, 0, ""},
		{"OS did not run evbench (250/s outlier)", 4643, 35_000, 9, 200 * time.Microsecond, "the operating system did not run evbench"},
		{"OS stall with some scheduler latency", 8639, 14_822, 29, 1835 * time.Microsecond, "the operating system did not run evbench"},
		{"own goroutines kept the pacer waiting", 3000, 4000, 12, 3 * time.Millisecond, "evbench's own work"},
		{"wake-ups on time, emit too slow", 2500, 80, 0, 100 * time.Microsecond, "came from handing events out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := lagCauseNote(c.p99, c.wakeLate, c.nLate, c.sched)
			if c.want == "" {
				if got != "" {
					t.Fatalf("note %q, want none", got)
				}
				return
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("note %q, want it to contain %q", got, c.want)
			}
			if !strings.HasPrefix(got, "generator lag p99 ") {
				t.Errorf("note %q does not start with the lag it explains", got)
			}
		})
	}
}

// TestSchedLatencySince: the scheduler-latency snapshot reports the upper
// bound of the highest bucket that gained samples, and 0 when none did.
func TestSchedLatencySince(t *testing.T) {
	prev := schedSnapshot{counts: []uint64{5, 1, 0}, buckets: []float64{0, 1e-6, 1e-3, 1}}
	if d := prev.maxSince(prev); d != 0 {
		t.Errorf("no new samples: %v, want 0", d)
	}
	now := schedSnapshot{counts: []uint64{9, 2, 0}, buckets: prev.buckets}
	if d := now.maxSince(prev); d != time.Millisecond {
		t.Errorf("new samples up to the [1us, 1ms) bucket: %v, want 1ms", d)
	}
	if s := readSchedLatency(); len(s.counts) == 0 || len(s.buckets) != len(s.counts)+1 {
		t.Errorf("runtime metric %s: %d counts, %d bucket bounds", schedLatencyMetric, len(s.counts), len(s.buckets))
	}
}
