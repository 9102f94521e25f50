package compare

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// DefaultAlpha is the significance level of the Mann-Whitney U test, as in
// benchstat.
const DefaultAlpha = 0.05

// confidence is the level of the confidence intervals reported.
const confidence = 0.95

// Stats is the statistics of one metric compared over several samples per
// side (repeats of a point, or several results documents). Base, Candidate
// and Change of the enclosing Metric are then the medians and the change of
// the medians.
type Stats struct {
	BaseN      int `json:"base_n"`
	CandidateN int `json:"candidate_n"`
	// BaseLo..CandidateHi are the 95% confidence intervals of each side's
	// median (benchmath, distribution-free); absent when the sample is too
	// small for one (6 values are needed at 95%).
	BaseLo      *float64 `json:"base_ci_lo,omitempty"`
	BaseHi      *float64 `json:"base_ci_hi,omitempty"`
	CandidateLo *float64 `json:"candidate_ci_lo,omitempty"`
	CandidateHi *float64 `json:"candidate_ci_hi,omitempty"`
	// ChangeLo and ChangeHi bound the shift candidate - base (Hodges-Lehmann
	// interval, the one that goes with the Mann-Whitney test) at
	// ChangeConfidence; ChangeLoPct and ChangeHiPct are the same in percent
	// of the base median. Absent when the samples are too small.
	ChangeLo         *float64 `json:"change_ci_lo,omitempty"`
	ChangeHi         *float64 `json:"change_ci_hi,omitempty"`
	ChangeLoPct      *float64 `json:"change_ci_lo_pct,omitempty"`
	ChangeHiPct      *float64 `json:"change_ci_hi_pct,omitempty"`
	ChangeConfidence float64  `json:"change_ci_confidence,omitempty"`
	// P is the two-sided Mann-Whitney U test p-value (benchmath).
	P     float64 `json:"p"`
	Alpha float64 `json:"alpha"`
	// Judgeable is false when even completely separated samples of these
	// sizes could not reach P <= Alpha (e.g. 3 against 3): the comparison
	// cannot judge significance and does not gate on the metric.
	Judgeable bool `json:"judgeable"`
	// Significant is Judgeable and P <= Alpha.
	Significant bool `json:"significant"`
}

// sampleStats compares two samples. It returns the medians and the
// statistics.
func sampleStats(b, c []float64, alpha float64) (bMed, cMed float64, st *Stats) {
	th := benchmath.DefaultThresholds
	th.CompareAlpha = alpha
	bs := benchmath.NewSample(slices.Clone(b), &th)
	cs := benchmath.NewSample(slices.Clone(c), &th)
	bsum := benchmath.AssumeNothing.Summary(bs, confidence)
	csum := benchmath.AssumeNothing.Summary(cs, confidence)
	cmp := benchmath.AssumeNothing.Compare(bs, cs)
	st = &Stats{BaseN: len(b), CandidateN: len(c), P: cmp.P, Alpha: alpha}
	st.BaseLo, st.BaseHi = finite(bsum.Lo), finite(bsum.Hi)
	st.CandidateLo, st.CandidateHi = finite(csum.Lo), finite(csum.Hi)
	st.Judgeable = minUTestP(len(b), len(c)) <= alpha
	st.Significant = st.Judgeable && cmp.P <= alpha
	if lo, hi, conf, ok := shiftCI(b, c, alpha); ok {
		st.ChangeLo, st.ChangeHi, st.ChangeConfidence = &lo, &hi, conf
		if bsum.Center != 0 {
			lp, hp := 100*lo/bsum.Center, 100*hi/bsum.Center
			st.ChangeLoPct, st.ChangeHiPct = &lp, &hp
		}
	}
	return bsum.Center, csum.Center, st
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// minUTestP is the smallest two-sided p-value the U test can give for
// samples of sizes m and n (completely separated samples): 2 / C(m+n, m).
func minUTestP(m, n int) float64 {
	if m == 0 || n == 0 {
		return 1
	}
	lc, _ := math.Lgamma(float64(m + n + 1))
	la, _ := math.Lgamma(float64(m + 1))
	lb, _ := math.Lgamma(float64(n + 1))
	return math.Min(1, 2/math.Exp(lc-la-lb))
}

// exactULimit bounds the sample sizes for which the U statistic's null
// distribution is computed exactly; larger samples use the normal
// approximation.
const exactULimit = 100

// shiftCI is the Hodges-Lehmann confidence interval of the shift between
// c and b: the order statistics of the m*n pairwise differences c_j - b_i
// chosen from the null distribution of the Mann-Whitney U statistic. It is
// distribution-free and matches the test benchmath applies. ok is false when
// the samples are too small for any interval at level 1-alpha.
func shiftCI(b, c []float64, alpha float64) (lo, hi, conf float64, ok bool) {
	m, n := len(b), len(c)
	if m == 0 || n == 0 {
		return 0, 0, 0, false
	}
	d := make([]float64, 0, m*n)
	for _, x := range b {
		for _, y := range c {
			d = append(d, y-x)
		}
	}
	slices.Sort(d)
	var k int // the interval is [d_(k+1), d_(mn-k)], 1-indexed
	if m <= exactULimit && n <= exactULimit {
		cdf := uCDF(m, n)
		// the largest k with P(U <= k-1) <= alpha/2
		for k = 0; k < len(cdf) && cdf[k] <= alpha/2; k++ {
		}
		if k == 0 {
			return 0, 0, 0, false
		}
		conf = 1 - 2*cdf[k-1]
	} else {
		mn := float64(m * n)
		z := math.Sqrt2 * math.Erfinv(1-alpha)
		k = int(math.Floor(mn/2 - z*math.Sqrt(mn*float64(m+n+1)/12)))
		if k < 1 {
			return 0, 0, 0, false
		}
		conf = 1 - alpha
	}
	if k >= m*n-k {
		return 0, 0, 0, false
	}
	return d[k], d[m*n-k-1], conf, true
}

// uCDF returns P(U <= u) for u = 0..m*n under the null hypothesis (no
// ties), from the coefficients of the Gaussian binomial [m+n choose m]_q:
// the number of arrangements with U = u is the coefficient of q^u.
func uCDF(m, n int) []float64 {
	deg := m * n
	poly := make([]float64, deg+1)
	poly[0] = 1
	for i := 1; i <= m; i++ {
		// multiply by (1 - q^(n+i)), then divide by (1 - q^i)
		for k := deg; k >= n+i; k-- {
			poly[k] -= poly[k-n-i]
		}
		for k := i; k <= deg; k++ {
			poly[k] += poly[k-i]
		}
	}
	var total float64
	for _, v := range poly {
		total += v
	}
	cdf := make([]float64, deg+1)
	var acc float64
	for k, v := range poly {
		acc += v
		cdf[k] = acc / total
	}
	return cdf
}
