package lttb

import (
	"math"
	"math/rand/v2"
	"testing"
)

func series(n int, f func(i int) float64) (x, y []float64) {
	x = make([]float64, n)
	y = make([]float64, n)
	for i := range n {
		x[i] = float64(i + 1)
		y[i] = f(i)
	}
	return x, y
}

func TestIndices(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		n       int
		target  int
		f       func(i int) float64
		maxLen  int
		mustKep []int
	}{
		{name: "fewer points than target keeps all", n: 10, target: 50, f: func(i int) float64 { return float64(i) }, maxLen: 10},
		{name: "flat hour with one spike keeps the spike", n: 3600, target: 300,
			f: func(i int) float64 {
				if i == 1234 {
					return 950
				}
				return 10 + rng.Float64()
			}, maxLen: 301, mustKep: []int{0, 1234, 3599}},
		{name: "dip is kept", n: 3600, target: 200,
			f: func(i int) float64 {
				if i == 2000 {
					return 0
				}
				return 1000 + 5*math.Sin(float64(i)/30)
			}, maxLen: 201, mustKep: []int{0, 2000, 3599}},
		{name: "tiny target keeps ends and extremes", n: 100, target: 2,
			f: func(i int) float64 { return float64((i * 37) % 100) }, maxLen: 4, mustKep: []int{0, 99}},
		{name: "spike in the last bucket", n: 1000, target: 10,
			f: func(i int) float64 {
				if i == 998 {
					return 1e6
				}
				return 1
			}, maxLen: 11, mustKep: []int{998, 999}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, y := series(tc.n, tc.f)
			ix := Indices(x, y, tc.target)
			if len(ix) > tc.maxLen {
				t.Fatalf("kept %d points, want at most %d", len(ix), tc.maxLen)
			}
			if tc.target < tc.n && tc.target >= 3 && len(ix) < tc.target {
				t.Fatalf("kept %d points, want at least %d", len(ix), tc.target)
			}
			for i := 1; i < len(ix); i++ {
				if ix[i] <= ix[i-1] {
					t.Fatalf("indices not strictly ascending at %d: %v", i, ix[i-1:i+1])
				}
			}
			kept := map[int]bool{}
			for _, i := range ix {
				kept[i] = true
			}
			for _, i := range tc.mustKep {
				if !kept[i] {
					t.Errorf("index %d (y=%g) was dropped", i, y[i])
				}
			}
			// The visual extremes survive exactly.
			xs, ys := Downsample(x, y, tc.target)
			if len(xs) != len(ix) || len(ys) != len(ix) {
				t.Fatalf("Downsample returned %d/%d points, Indices %d", len(xs), len(ys), len(ix))
			}
			if maxOf(ys) != maxOf(y) || minOf(ys) != minOf(y) {
				t.Errorf("extremes changed: got [%g, %g], want [%g, %g]", minOf(ys), maxOf(ys), minOf(y), maxOf(y))
			}
		})
	}
}

func TestIndicesShape(t *testing.T) {
	// A sine wave down-sampled to 1/10 keeps its amplitude and its mean
	// within 2%: the picture looks the same.
	x, y := series(3600, func(i int) float64 { return 100 + 50*math.Sin(float64(i)/100) })
	xs, ys := Downsample(x, y, 360)
	if math.Abs(mean(ys)-mean(y)) > 0.02*mean(y) {
		t.Errorf("mean moved from %.2f to %.2f", mean(y), mean(ys))
	}
	if xs[0] != x[0] || xs[len(xs)-1] != x[len(x)-1] {
		t.Errorf("ends not kept: %g..%g", xs[0], xs[len(xs)-1])
	}
}

func TestIndicesEmpty(t *testing.T) {
	if got := Indices(nil, nil, 10); got != nil {
		t.Errorf("empty input: got %v", got)
	}
	if got := Indices([]float64{1, 2}, []float64{1, 2}, 0); got != nil {
		t.Errorf("n=0: got %v", got)
	}
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
