package measure

import (
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestGapTracker: the longest interval between observations, and an open
// gap running to the end when nothing came after the last event was sent.
func TestGapTracker(t *testing.T) {
	const s = int64(1e9)
	for _, tc := range []struct {
		name          string
		obs           []int64
		sentLast, end int64
		want          int64
	}{
		{"steady", []int64{1 * s, 2 * s, 3 * s}, 3 * s, 4 * s, s},
		{"a 5 s hole", []int64{1 * s, 2 * s, 7 * s, 8 * s}, 8 * s, 9 * s, 5 * s},
		{"open at the end", []int64{1 * s, 2 * s}, 5 * s, 12 * s, 10 * s},
		{"too close to count", []int64{1 * s, 1*s + 10, 2 * s}, 2 * s, 2 * s, s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g gapTracker
			g.last.Store(0)
			for _, o := range tc.obs {
				g.observe(o)
			}
			if got := g.final(tc.sentLast, tc.end); got != tc.want {
				t.Errorf("longest gap %d, want %d", got, tc.want)
			}
		})
	}
}

// TestRecovery: the time from the end of the last window until the lag is
// back to its pre-fault level; -1 when it never is.
func TestRecovery(t *testing.T) {
	series := func(lags ...int64) []results.Sample {
		out := make([]results.Sample, len(lags))
		for i, l := range lags {
			out[i] = results.Sample{TS: float64(i + 1), Lag: l}
		}
		return out
	}
	win := []results.FaultWindow{{StartS: 3, EndS: 5}}
	for _, tc := range []struct {
		name string
		ts   []results.Sample
		want float64
		none bool
	}{
		{"back 2 s after", series(2, 3, 2, 50, 80, 40, 3, 1), 2, false},
		{"never back", series(2, 3, 2, 50, 80, 40, 30, 20), -1, false},
		{"no lag (webhook)", series(0, 0, 0, 0, 0, 0), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &results.Point{Timeseries: tc.ts, FaultWindows: win}
			var av results.Availability
			recoveryFrom(&av, out, out.FaultWindows)
			if tc.none {
				if av.RecoveryS != nil {
					t.Errorf("recovery %v, want none", *av.RecoveryS)
				}
				return
			}
			if av.RecoveryS == nil || *av.RecoveryS != tc.want || av.PreFaultLag != 3 {
				t.Errorf("recovery %v pre-fault lag %d, want %v and 3", av.RecoveryS, av.PreFaultLag, tc.want)
			}
		})
	}
}
