package compare

import (
	"math"
	"testing"
)

func TestUCDF(t *testing.T) {
	// Mann-Whitney tables: m = n = 5 has 252 arrangements; P(U <= 2) = 4/252.
	cdf := uCDF(5, 5)
	if len(cdf) != 26 || math.Abs(cdf[2]-4.0/252) > 1e-12 || math.Abs(cdf[25]-1) > 1e-12 || math.Abs(cdf[12]-0.5) > 1e-12 {
		t.Errorf("uCDF(5,5) = %v", cdf)
	}
	// symmetric
	c := uCDF(3, 7)
	for u := 0; u < 21; u++ {
		if math.Abs(c[u]-(1-c[20-u])) > 1e-12 {
			t.Fatalf("uCDF(3,7) not symmetric at %d: %v", u, c)
		}
	}
}

func TestShiftCIAndSignificance(t *testing.T) {
	base := []float64{100, 102, 98, 101, 99}
	slow := []float64{130, 131, 129, 133, 128}
	tests := []struct {
		name      string
		b, c      []float64
		judgeable bool
		sig       bool
		lo, hi    float64 // bounds of the shift interval (NaN: none)
	}{
		// 5 v 5: the interval is [d(3), d(23)] of the 25 differences, 96.8%.
		{"30% slower", base, slow, true, true, 26, 35},
		{"same", base, []float64{101, 99, 100, 98, 102}, true, false, -3, 3},
		{"3 v 3 cannot be judged", base[:3], slow[:3], false, false, math.NaN(), math.NaN()},
		{"4 v 4 can", base[:4], slow[:4], true, true, 26, 35},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bm, cm, st := sampleStats(tc.b, tc.c, DefaultAlpha)
			if st.Judgeable != tc.judgeable || st.Significant != tc.sig {
				t.Errorf("judgeable %v significant %v (p=%v), want %v %v", st.Judgeable, st.Significant, st.P, tc.judgeable, tc.sig)
			}
			if math.IsNaN(tc.lo) {
				if st.ChangeLo != nil {
					t.Errorf("interval [%v, %v], want none", *st.ChangeLo, *st.ChangeHi)
				}
				return
			}
			if st.ChangeLo == nil || *st.ChangeLo < tc.lo-1e-9 || *st.ChangeHi > tc.hi+1e-9 || *st.ChangeLo > cm-bm || *st.ChangeHi < cm-bm {
				t.Errorf("interval %v..%v around %v, want within [%v, %v]", st.ChangeLo, st.ChangeHi, cm-bm, tc.lo, tc.hi)
			}
			if st.ChangeConfidence < 0.95 {
				t.Errorf("confidence %v < 0.95", st.ChangeConfidence)
			}
		})
	}
	// Large samples use the normal approximation.
	var b, c []float64
	for i := 0; i < 150; i++ {
		b = append(b, float64(100+i%10))
		c = append(c, float64(120+i%10))
	}
	lo, hi, conf, ok := shiftCI(b, c, DefaultAlpha)
	if !ok || lo > 20 || hi < 20 || hi-lo > 2 || conf != 0.95 {
		t.Errorf("large samples: [%v, %v] at %v, ok %v", lo, hi, conf, ok)
	}
}
