package noise

import (
	"testing"
	"time"
)

func TestMeasureIsBriefAndPlausible(t *testing.T) {
	start := time.Now()
	n := Measure()
	took := time.Since(start)
	t.Logf("noise: %+v (took %v)", *n, took)
	// Budget plus one loop and one sleep, with a margin for a loaded machine.
	if took > Budget+300*time.Millisecond {
		t.Errorf("calibration took %v, want under %v", took, Budget+300*time.Millisecond)
	}
	if n.Samples < 5 {
		t.Errorf("%d samples, want at least 5", n.Samples)
	}
	if n.CPULoopMedianUS <= 0 || n.CPUSpreadPct < 0 || n.TimerLateP99US < n.TimerLateP50US || n.TimerLateP50US < 0 {
		t.Errorf("implausible figures %+v", *n)
	}
	if n.DurationMS <= 0 || n.DurationMS > float64((Budget+300*time.Millisecond).Milliseconds()) {
		t.Errorf("duration %v ms", n.DurationMS)
	}
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		in   []float64
		q    float64
		want float64
	}{
		{nil, 0.5, 0},
		{[]float64{7}, 0.9, 7},
		{[]float64{1, 2, 3, 4, 5}, 0.5, 3},
		{[]float64{1, 2, 3, 4, 5}, 0.9, 4.6},
		{[]float64{1, 2, 3, 4, 5}, 0.1, 1.4},
	}
	for _, tc := range tests {
		if got := quantile(tc.in, tc.q); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("quantile(%v, %v) = %v, want %v", tc.in, tc.q, got, tc.want)
		}
	}
}
