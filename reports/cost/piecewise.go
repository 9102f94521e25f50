package cost

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Piecewise is a piecewise-linear function of the event rate (events per
// hour) on the domain [Lo, Hi]: on segment i it is A[i] + B[i]*x, for
// Breaks[i-1] < x <= Breaks[i] (Breaks[-1] = Lo, the first segment also
// holds Lo, Breaks[len] = Hi). Every cost in this package is one, which is
// what makes the break-even solver exact: within a segment a difference of
// two costs is affine and its root is closed-form.
type Piecewise struct {
	Lo, Hi float64
	// Breaks are the interior breakpoints, strictly increasing, in (Lo, Hi).
	Breaks []float64
	// A and B are each segment's intercept and slope; len = len(Breaks)+1.
	A, B []float64
}

// maxBreaks bounds the number of segments (a step per broker).
const maxBreaks = 1_000_000

// Affine returns a + b*x on [lo, hi].
func Affine(lo, hi, a, b float64) Piecewise {
	return Piecewise{Lo: lo, Hi: hi, A: []float64{a}, B: []float64{b}}
}

// Steps returns unitPrice * max(minUnits, ceil(x/perUnit)) on [lo, hi]:
// capacity bought in whole units of perUnit events/hour each, with a
// minimum. perUnit may be +Inf (the minimum always suffices).
func Steps(lo, hi, unitPrice float64, minUnits int, perUnit float64) (Piecewise, error) {
	if !(perUnit > 0) {
		return Piecewise{}, fmt.Errorf("steps: capacity per unit must be > 0, got %v", perUnit)
	}
	units := func(x float64) float64 {
		n := math.Ceil(x / perUnit)
		return math.Max(float64(minUnits), n)
	}
	p := Piecewise{Lo: lo, Hi: hi}
	if !math.IsInf(perUnit, 1) {
		first := math.Max(float64(minUnits), math.Ceil(lo/perUnit))
		if first < 1 {
			first = 1
		}
		if n := hi/perUnit - first; n > maxBreaks {
			return Piecewise{}, fmt.Errorf("steps: %.0f units over the range is more than %d; is the capacity per unit too small?", n, maxBreaks)
		}
		for m := first; m*perUnit < hi; m++ {
			if x := m * perUnit; x > lo {
				p.Breaks = append(p.Breaks, x)
			}
		}
	}
	for i := 0; i <= len(p.Breaks); i++ {
		l, h := p.segment(i)
		p.A = append(p.A, unitPrice*units(l+(h-l)/2))
		p.B = append(p.B, 0)
	}
	return p, nil
}

// segment returns segment i's bounds.
func (p Piecewise) segment(i int) (lo, hi float64) {
	lo, hi = p.Lo, p.Hi
	if i > 0 {
		lo = p.Breaks[i-1]
	}
	if i < len(p.Breaks) {
		hi = p.Breaks[i]
	}
	return lo, hi
}

// index returns the segment holding x (x outside the domain uses the end
// segments).
func (p Piecewise) index(x float64) int {
	return sort.SearchFloat64s(p.Breaks, x)
}

// Eval returns the function's value at x.
func (p Piecewise) Eval(x float64) float64 {
	i := p.index(x)
	return p.A[i] + p.B[i]*x
}

// Sum adds functions defined on the same domain.
func Sum(ps ...Piecewise) (Piecewise, error) {
	if len(ps) == 0 {
		return Piecewise{}, errors.New("sum of no functions")
	}
	lo, hi := ps[0].Lo, ps[0].Hi
	var all []float64
	for _, p := range ps {
		if p.Lo != lo || p.Hi != hi {
			return Piecewise{}, fmt.Errorf("sum: domains differ ([%v, %v] vs [%v, %v])", lo, hi, p.Lo, p.Hi)
		}
		if len(p.A) != len(p.Breaks)+1 || len(p.B) != len(p.A) {
			return Piecewise{}, errors.New("sum: malformed piecewise function")
		}
		all = append(all, p.Breaks...)
	}
	sort.Float64s(all)
	out := Piecewise{Lo: lo, Hi: hi}
	for _, b := range all {
		if len(out.Breaks) == 0 || b > out.Breaks[len(out.Breaks)-1] {
			out.Breaks = append(out.Breaks, b)
		}
	}
	for i := 0; i <= len(out.Breaks); i++ {
		l, h := out.segment(i)
		mid := l + (h-l)/2
		var a, b float64
		for _, p := range ps {
			j := p.index(mid)
			a += p.A[j]
			b += p.B[j]
		}
		out.A = append(out.A, a)
		out.B = append(out.B, b)
	}
	return out, nil
}

// Scale returns k*p.
func (p Piecewise) Scale(k float64) Piecewise {
	out := Piecewise{Lo: p.Lo, Hi: p.Hi, Breaks: append([]float64(nil), p.Breaks...)}
	for i := range p.A {
		out.A = append(out.A, k*p.A[i])
		out.B = append(out.B, k*p.B[i])
	}
	return out
}

// Points returns points for drawing p on [lo, hi]: n log-spaced samples
// plus both sides of every jump, so steps are drawn vertical.
func (p Piecewise) Points(lo, hi float64, n int) (xs, ys []float64) {
	type pt struct{ x, y float64 }
	var pts []pt
	for k := 0; k < n; k++ {
		x := lo * math.Pow(hi/lo, float64(k)/float64(n-1))
		pts = append(pts, pt{x, p.Eval(x)})
	}
	for i, b := range p.Breaks {
		if b <= lo || b >= hi {
			continue
		}
		left := p.A[i] + p.B[i]*b
		right := p.A[i+1] + p.B[i+1]*b
		pts = append(pts, pt{b, left})
		if left != right {
			pts = append(pts, pt{math.Nextafter(b, math.Inf(1)), right})
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
	for _, q := range pts {
		xs = append(xs, q.x)
		ys = append(ys, q.y)
	}
	return xs, ys
}

// Order says which of two costs is lower.
type Order int

// Orders.
const (
	ALower Order = -1
	Equal  Order = 0
	BLower Order = 1
)

func (o Order) String() string {
	switch o {
	case ALower:
		return "a cheaper"
	case BLower:
		return "b cheaper"
	}
	return "equal"
}

// Crossing is a point where the cheaper of two costs changes.
type Crossing struct {
	// X is the event rate (events/hour) where the order changes.
	X float64
	// Before and After are the order just below and just above X.
	Before, After Order
	// Jump is true when the change happens at a discontinuity (one cost
	// steps up, e.g. another broker), not where the lines cross.
	Jump bool
}

// BreakEven returns every point in (lo, hi) where the cheaper of a and b
// changes, in increasing order. It is exact for piecewise-linear inputs:
// within each segment of a-b the root is computed in closed form, and
// changes at breakpoints (steps) are found by checking the order on each
// side. Differences within 1e-9 of the costs count as equal.
func BreakEven(a, b Piecewise, lo, hi float64) ([]Crossing, error) {
	if !(lo < hi) {
		return nil, fmt.Errorf("break-even: empty range [%v, %v]", lo, hi)
	}
	if lo < a.Lo || hi > a.Hi || lo < b.Lo || hi > b.Hi {
		return nil, fmt.Errorf("break-even: range [%v, %v] outside the functions' domains", lo, hi)
	}
	d, err := Sum(a, b.Scale(-1)) // a - b; Sum rejects different domains
	if err != nil {
		return nil, fmt.Errorf("break-even: %w", err)
	}
	cands := []float64{lo, hi}
	for i := 0; i <= len(d.Breaks); i++ {
		sl, sh := d.segment(i)
		if i > 0 && sl > lo && sl < hi {
			cands = append(cands, sl)
		}
		if d.B[i] != 0 {
			r := -d.A[i] / d.B[i]
			if r > sl && r < sh && r > lo && r < hi {
				cands = append(cands, r)
			}
		}
	}
	sort.Float64s(cands)
	uniq := cands[:1]
	for _, c := range cands[1:] {
		if c > uniq[len(uniq)-1] {
			uniq = append(uniq, c)
		}
	}
	order := func(x float64) Order {
		av, bv := a.Eval(x), b.Eval(x)
		diff := av - bv
		if math.Abs(diff) <= 1e-9*math.Max(math.Abs(av), math.Abs(bv)) {
			return Equal
		}
		if diff < 0 {
			return ALower
		}
		return BLower
	}
	mid := func(l, h float64) float64 {
		if l > 0 {
			return math.Sqrt(l * h)
		}
		return l + (h-l)/2
	}
	var out []Crossing
	prev := order(mid(uniq[0], uniq[1]))
	for k := 1; k+1 < len(uniq); k++ {
		cur := order(mid(uniq[k], uniq[k+1]))
		if cur == prev {
			continue
		}
		x := uniq[k]
		jump := false
		if i := sort.SearchFloat64s(d.Breaks, x); i < len(d.Breaks) && d.Breaks[i] == x {
			left := d.A[i] + d.B[i]*x
			right := d.A[i+1] + d.B[i+1]*x
			jump = math.Abs(left-right) > 1e-9*math.Max(math.Abs(a.Eval(x)), math.Abs(b.Eval(x)))
		}
		out = append(out, Crossing{X: x, Before: prev, After: cur, Jump: jump})
		prev = cur
	}
	return out, nil
}
