package sparsehist

import (
	"math/rand/v2"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

const hourUS = 3_600_000_000

// TestMatchesDense records the same values into a Hist and a dense
// hdr.Histogram and checks that every figure results use agrees, before
// and after the switch to dense, and that the encodings are identical.
func TestMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name    string
		highest int64
		n       int
		gen     func() int64
		dense   bool
	}{
		{"empty", hourUS, 0, nil, false},
		{"one value", hourUS, 1, func() int64 { return 1234567 }, false},
		{"zero and one", hourUS, 50, func() int64 { return rng.Int64N(2) }, false},
		{"low rate latencies", hourUS, 300, func() int64 { return 500 + rng.Int64N(60_000) }, false},
		{"wide spread switches to dense", hourUS, 20_000, func() int64 { return 1 + rng.Int64N(hourUS) }, true},
		{"many small values switch", hourUS, 50_000, func() int64 { return 1 + rng.Int64N(100_000) }, true},
		{"attempts geometry", 1000, 500, func() int64 { return 1 + rng.Int64N(5) }, false},
		{"attempts geometry dense", 1000, 5000, func() int64 { return 1 + rng.Int64N(1000) }, true},
		{"edge of range", hourUS, 200, func() int64 { return hourUS - rng.Int64N(3) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(1, c.highest, 3)
			d := hdr.New(1, c.highest, 3)
			for range c.n {
				v := c.gen()
				if (s.RecordValue(v) == nil) != (d.RecordValue(v) == nil) {
					t.Fatalf("value %d: errors differ", v)
				}
			}
			if s.Dense() != c.dense {
				t.Errorf("Dense() = %v, want %v", s.Dense(), c.dense)
			}
			if s.TotalCount() != d.TotalCount() {
				t.Errorf("TotalCount %d, want %d", s.TotalCount(), d.TotalCount())
			}
			for _, q := range []float64{0, 0.1, 1, 25, 50, 90, 99, 99.9, 99.99, 100} {
				if got, want := s.ValueAtQuantile(q), d.ValueAtQuantile(q); got != want {
					t.Errorf("ValueAtQuantile(%v) = %d, want %d", q, got, want)
				}
			}
			for range 2 { // the second use gets the pooled scratch back
				if err := s.Use(func(u *hdr.Histogram) error {
					if !u.Equals(d) {
						t.Errorf("Use: histogram differs from the dense one")
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			m := s.Histogram()
			if !m.Equals(d) {
				t.Errorf("materialized histogram differs from the dense one")
			}
			if m.Max() != d.Max() || m.Min() != d.Min() || m.Mean() != d.Mean() {
				t.Errorf("min/max/mean %d/%d/%v, want %d/%d/%v", m.Min(), m.Max(), m.Mean(), d.Min(), d.Max(), d.Mean())
			}
			eg, err1 := m.Encode(hdr.V2CompressedEncodingCookieBase)
			ew, err2 := d.Encode(hdr.V2CompressedEncodingCookieBase)
			if err1 != nil || err2 != nil || string(eg) != string(ew) {
				t.Errorf("encodings differ (errors %v, %v)", err1, err2)
			}
		})
	}
}

// TestRangeErrors: values the dense histogram refuses are refused too,
// and values it accepts (including just past highest, inside the last
// bucket) are accepted.
func TestRangeErrors(t *testing.T) {
	for _, highest := range []int64{1000, hourUS} {
		d := hdr.New(1, highest, 3)
		for _, v := range []int64{-1, 0, 1, highest, highest + 1, highest + 1000, 2 * highest, 4 * highest, 1 << 62} {
			s := New(1, highest, 3)
			if (s.RecordValue(v) == nil) != (d.RecordValue(v) == nil) {
				t.Errorf("highest %d, value %d: sparse error %v, dense error %v", highest, v, s.RecordValue(v), d.RecordValue(v))
			}
		}
	}
}

// TestEquivalentValues checks the bucket arithmetic against the library's
// for values across the whole range.
func TestEquivalentValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2_000 {
		v := rng.Int64N(hourUS) >> rng.IntN(32)
		d := hdr.New(1, hourUS, 3)
		_ = d.RecordValue(v)
		if got, want := highestEquivalent(v), d.Max(); got != want {
			t.Fatalf("highestEquivalent(%d) = %d, want %d", v, got, want)
		}
		if got, want := lowestEquivalent(v), d.ValueAtQuantile(0); got != want {
			t.Fatalf("lowestEquivalent(%d) = %d, want %d", v, got, want)
		}
	}
}

func TestUnsupportedGeometryPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(1, 1000, 2) did not panic")
		}
	}()
	New(1, 1000, 2)
}
