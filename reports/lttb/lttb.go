// Package lttb down-samples time series with the Largest-Triangle-Three-
// Buckets algorithm (Steinarsson, 2013), so a one-hour run's per-second
// series can be drawn with a few hundred points and still look like the
// original: LTTB keeps the points that shape the curve.
//
// A benchmark report must never hide an incident, so this implementation
// adds one guarantee the plain algorithm does not give: the global maximum
// and the global minimum of y are always kept (they replace the point LTTB
// chose in their bucket). A one-second latency spike in an hour of flat
// samples therefore survives down-sampling at its exact height.
package lttb

import "math"

// Indices returns the ascending indices of the points of (x, y) to keep:
// n of them, or n+1 when the global maximum and minimum fall in the same
// bucket (both are kept). x must be non-decreasing; only the first
// min(len(x), len(y)) points are used. When n >= len(x) every index is
// returned; for 0 < n < 3 only the first, last and extreme points are. The
// first and last points and the global maximum and minimum of y are always
// kept.
func Indices(x, y []float64, n int) []int {
	m := len(x)
	if len(y) < m {
		m = len(y)
	}
	if m == 0 || n <= 0 {
		return nil
	}
	if n >= m {
		out := make([]int, m)
		for i := range out {
			out[i] = i
		}
		return out
	}
	imax, imin := extremes(y[:m])
	if n < 3 {
		return uniq([]int{0, imin, imax, m - 1})
	}
	out := make([]int, 0, n)
	out = append(out, 0)
	// Buckets cover points 1..m-2, n-2 of them.
	every := float64(m-2) / float64(n-2)
	a := 0
	for i := 0; i < n-2; i++ {
		lo := int(math.Floor(float64(i)*every)) + 1
		hi := int(math.Floor(float64(i+1)*every)) + 1
		if hi > m-1 {
			hi = m - 1
		}
		if lo >= hi {
			continue
		}
		// Average of the next bucket (or the last point).
		nlo, nhi := hi, int(math.Floor(float64(i+2)*every))+1
		if nhi > m {
			nhi = m
		}
		if nlo >= nhi {
			nlo, nhi = m-1, m
		}
		var ax, ay float64
		for j := nlo; j < nhi; j++ {
			ax += x[j]
			ay += y[j]
		}
		cnt := float64(nhi - nlo)
		ax /= cnt
		ay /= cnt
		// The bucket's extremes win outright: peaks are never dropped.
		pick := -1
		switch {
		case imax >= lo && imax < hi:
			pick = imax
		case imin >= lo && imin < hi:
			pick = imin
		default:
			best := -1.0
			for j := lo; j < hi; j++ {
				area := math.Abs((x[a]-ax)*(y[j]-y[a]) - (x[a]-x[j])*(ay-y[a]))
				if area > best {
					best, pick = area, j
				}
			}
		}
		out = append(out, pick)
		a = pick
	}
	out = append(out, m-1)
	// imax and imin share a bucket only when both are interior and close:
	// keep both even if that makes one more point than asked.
	return uniq(append(out, imax, imin))
}

// extremes returns the index of the first maximum and of the first minimum
// of y, ignoring NaN.
func extremes(y []float64) (imax, imin int) {
	for i, v := range y {
		if math.IsNaN(v) {
			continue
		}
		if math.IsNaN(y[imax]) || v > y[imax] {
			imax = i
		}
		if math.IsNaN(y[imin]) || v < y[imin] {
			imin = i
		}
	}
	return imax, imin
}

// uniq sorts small index lists and removes duplicates.
func uniq(ix []int) []int {
	// insertion sort: the lists are short or almost sorted.
	for i := 1; i < len(ix); i++ {
		for j := i; j > 0 && ix[j] < ix[j-1]; j-- {
			ix[j], ix[j-1] = ix[j-1], ix[j]
		}
	}
	out := ix[:0]
	for i, v := range ix {
		if i == 0 || v != ix[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Downsample returns the kept points of (x, y) as new slices (see Indices).
func Downsample(x, y []float64, n int) (xs, ys []float64) {
	ix := Indices(x, y, n)
	xs = make([]float64, len(ix))
	ys = make([]float64, len(ix))
	for i, j := range ix {
		xs[i], ys[i] = x[j], y[j]
	}
	return xs, ys
}
