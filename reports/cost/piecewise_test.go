package cost

import (
	"math"
	"testing"
)

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestStepsValues(t *testing.T) {
	// 100 per unit, at least 2 units, each unit covers 1000 events/hour:
	// 2 units up to 2000, then ceil(x/1000).
	f, err := Steps(1, 10_000, 100, 2, 1000)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ x, want float64 }{
		{1, 200}, {999, 200}, {1000, 200}, {2000, 200}, {2000.5, 300}, {3000, 300}, {3001, 400}, {9999, 1000}, {10_000, 1000},
	}
	for _, tc := range tests {
		if got := f.Eval(tc.x); got != tc.want {
			t.Errorf("Steps(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	// Infinite capacity: the minimum always.
	g, err := Steps(1, 10_000, 50, 3, math.Inf(1))
	if err != nil || g.Eval(9000) != 150 || len(g.Breaks) != 0 {
		t.Errorf("infinite capacity: %v %+v", err, g)
	}
	if _, err := Steps(1, 1e9, 1, 1, 1e-3); err == nil {
		t.Error("absurd number of steps accepted")
	}
}

func TestSum(t *testing.T) {
	a := Affine(0, 100, 1, 2)
	b, _ := Steps(0, 100, 10, 1, 25)
	s, err := Sum(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{0, 10, 25, 26, 50, 74.5, 100} {
		if got, want := s.Eval(x), a.Eval(x)+b.Eval(x); !near(got, want) {
			t.Errorf("Sum(%v) = %v, want %v", x, got, want)
		}
	}
	if _, err := Sum(a, Affine(0, 50, 0, 0)); err == nil {
		t.Error("different domains accepted")
	}
}

func TestBreakEvenExact(t *testing.T) {
	tests := []struct {
		name string
		a, b func() Piecewise
		want []Crossing
	}{
		{
			// 10 + 0.002x = 460  <=>  x = 450/0.002 = 225,000.
			name: "affine against constant",
			a:    func() Piecewise { return Affine(100, 1e9, 10, 0.002) },
			b:    func() Piecewise { return Affine(100, 1e9, 460, 0) },
			want: []Crossing{{X: 225_000, Before: ALower, After: BLower}},
		},
		{
			// 5 + 3e-5x = 400 + 1e-5x  <=>  x = 395/2e-5 = 19,750,000.
			name: "two slopes",
			a:    func() Piecewise { return Affine(100, 1e9, 5, 3e-5) },
			b:    func() Piecewise { return Affine(100, 1e9, 400, 1e-5) },
			want: []Crossing{{X: 19_750_000, Before: ALower, After: BLower}},
		},
		{
			name: "parallel, never cross",
			a:    func() Piecewise { return Affine(100, 1e9, 5, 1e-3) },
			b:    func() Piecewise { return Affine(100, 1e9, 6, 1e-3) },
			want: nil,
		},
		{
			// a = 0.0012x against b = 100*max(1, ceil(x/1e5)) on
			// (100, 450000]: a meets b's level 100m at x = 100m/0.0012
			// (83,333.33, 166,666.67, 250,000, 333,333.33, 416,666.67)
			// and b jumps above a at every m*1e5 while 120m < 100(m+1),
			// i.e. m < 5.
			name: "line against steps",
			a:    func() Piecewise { return Affine(100, 450_000, 0, 0.0012) },
			b: func() Piecewise {
				f, _ := Steps(100, 450_000, 100, 1, 100_000)
				return f
			},
			want: []Crossing{
				{X: 100 / 0.0012, Before: ALower, After: BLower},
				{X: 100_000, Before: BLower, After: ALower, Jump: true},
				{X: 200 / 0.0012, Before: ALower, After: BLower},
				{X: 200_000, Before: BLower, After: ALower, Jump: true},
				{X: 300 / 0.0012, Before: ALower, After: BLower},
				{X: 300_000, Before: BLower, After: ALower, Jump: true},
				{X: 400 / 0.0012, Before: ALower, After: BLower},
				{X: 400_000, Before: BLower, After: ALower, Jump: true},
				{X: 500 / 0.0012, Before: ALower, After: BLower},
			},
		},
		{
			// Equal on [100, 1000], then a grows: one change, from
			// equal to b cheaper, at 1000.
			name: "tie then apart",
			a: func() Piecewise {
				return Piecewise{Lo: 100, Hi: 1e6, Breaks: []float64{1000}, A: []float64{50, 40}, B: []float64{0, 0.01}}
			},
			b:    func() Piecewise { return Affine(100, 1e6, 50, 0) },
			want: []Crossing{{X: 1000, Before: Equal, After: BLower}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.a(), tc.b()
			got, err := BreakEven(a, b, a.Lo, a.Hi)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d crossings %+v, want %d %+v", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if !near(g.X, w.X) || g.Before != w.Before || g.After != w.After || g.Jump != w.Jump {
					t.Errorf("crossing %d = %+v, want %+v", i, g, w)
				}
				// At a smooth crossing the costs are equal.
				if !g.Jump && !near(a.Eval(g.X), b.Eval(g.X)) {
					t.Errorf("crossing %d: a(%v) = %v != b = %v", i, g.X, a.Eval(g.X), b.Eval(g.X))
				}
			}
		})
	}
}

func TestBreakEvenBadRange(t *testing.T) {
	a := Affine(100, 1e9, 0, 1)
	if _, err := BreakEven(a, a, 10, 1e9); err == nil {
		t.Error("range outside the domain accepted")
	}
	if _, err := BreakEven(a, a, 1e6, 1e6); err == nil {
		t.Error("empty range accepted")
	}
}

func TestPointsDrawStepsVertically(t *testing.T) {
	f, _ := Steps(100, 1e6, 10, 1, 1e5)
	xs, ys := f.Points(100, 1e6, 50)
	jumps := 0
	for i := 1; i < len(xs); i++ {
		if xs[i] < xs[i-1] {
			t.Fatalf("x not sorted at %d", i)
		}
		if ys[i] != ys[i-1] && xs[i]-xs[i-1] < 1e-6*xs[i] {
			jumps++
		}
	}
	if jumps != 9 {
		t.Errorf("got %d vertical jumps, want 9 (at 100k..900k)", jumps)
	}
}
