package measure

import (
	"testing"
	"time"
)

// TestOverloadCriteria pins the documented overload rule: more than 10% of
// the measured period (at least 1 s) late, or generator-lag p99 above 1 s.
func TestOverloadCriteria(t *testing.T) {
	s := time.Second
	tests := []struct {
		name              string
		measured, emitted time.Duration
		lagP99            time.Duration
		want              bool
	}{
		{"on time", 10 * s, 10 * s, time.Millisecond, false},
		{"late within 1 s floor", 5 * s, 5*s + 900*time.Millisecond, 0, false},
		{"late beyond 1 s floor", 5 * s, 6*s + 100*time.Millisecond, 0, true},
		{"late within 10%", 60 * s, 65 * s, 0, false},
		{"late beyond 10%", 60 * s, 67 * s, 0, true},
		{"11 s schedule took 25 s", 11 * s, 25 * s, 0, true},
		{"lag p99 at bound", 10 * s, 10 * s, time.Second, false},
		{"lag p99 beyond bound", 10 * s, 10 * s, 1500 * time.Millisecond, true},
		{"interrupted during warm-up", 0, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := overloaded(tc.measured, tc.emitted, tc.lagP99)
			if got != tc.want || (got && why == "") {
				t.Errorf("overloaded(%v, %v, %v) = %v %q, want %v with a reason", tc.measured, tc.emitted, tc.lagP99, got, why, tc.want)
			}
		})
	}
}
