package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Probe runs one saturation probe at a constant offered rate (events/s) and
// reports whether the system sustained it (SLO met, loss within bounds). A
// non-nil error aborts the search: it is for failures of the harness, not of
// the system under test, which are reported as ok == false.
type Probe func(ctx context.Context, rate float64) (ok bool, err error)

// ProbeResult is one probe of a saturation search, in the order tried.
type ProbeResult struct {
	Rate float64 `json:"rate_per_s"`
	OK   bool    `json:"ok"`
}

// MaxResult is the outcome of FindMax.
type MaxResult struct {
	// Rate is the highest rate that passed; 0 when even the start rate
	// failed (the caller reports that, it is not hidden).
	Rate float64
	// FailedAt is the lowest rate that failed above Rate; 0 when no probe
	// failed (the search reached its limit).
	FailedAt float64
	// Probes is the number of probes run.
	Probes int
	// Bounded is true when a failing rate was found, so Rate is a
	// measured maximum; false when the limit passed and the true maximum
	// may be higher.
	Bounded bool
	// Tried lists every probe in order.
	Tried []ProbeResult
}

// maxProbes bounds a search whatever its inputs (a limit/start ratio of
// 2^100 or a tolerance near float precision); realistic searches take
// fewer than 30 probes, and each probe is a full benchmark point.
const maxProbes = 200

// FindMax searches for the highest offered rate the system sustains.
//
// It steps up from start by doubling (capped at limit) until a probe fails
// or limit passes, then bisects between the last passing and the first
// failing rate until (bad-good)/good <= tolerance. The search assumes that
// passing is monotone in the rate (true for a system with a capacity); with
// a noisy system the answer is within the noise band plus the tolerance.
//
// The number of probes is at most ceil(log2(limit/start)) + 1 for the step
// phase plus ceil(log2(1/tolerance)) for the bisection. On cancellation of
// ctx, or a probe error, it returns the result so far together with the
// error.
func FindMax(ctx context.Context, probe Probe, start, limit, tolerance float64) (MaxResult, error) {
	var res MaxResult
	switch {
	case probe == nil:
		return res, errors.New("find max: nil probe")
	case !(start > 0) || math.IsInf(start, 0):
		return res, fmt.Errorf("find max: start rate must be a positive finite number, got %v", start)
	case !(limit >= start) || math.IsInf(limit, 0):
		return res, fmt.Errorf("find max: limit must be finite and at least the start rate %v, got %v", start, limit)
	case !(tolerance > 0) || math.IsInf(tolerance, 0):
		return res, fmt.Errorf("find max: tolerance must be a positive number, got %v", tolerance)
	}

	try := func(rate float64) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("find max: stopped before probing %.6g/s: %w", rate, err)
		}
		if res.Probes >= maxProbes {
			return false, fmt.Errorf("find max: gave up after %d probes", res.Probes)
		}
		res.Probes++
		ok, err := probe(ctx, rate)
		if err != nil {
			return false, fmt.Errorf("find max: probe at %.6g/s: %w", rate, err)
		}
		res.Tried = append(res.Tried, ProbeResult{Rate: rate, OK: ok})
		return ok, nil
	}

	// Step phase: start, 2*start, 4*start, ... capped at limit.
	good, bad := 0.0, 0.0
	for rate := start; ; {
		ok, err := try(rate)
		if err != nil {
			res.Rate = good
			return res, err
		}
		if !ok {
			bad = rate
			break
		}
		good = rate
		if rate >= limit {
			break
		}
		rate = math.Min(2*rate, limit)
	}
	res.Rate = good
	if bad == 0 {
		// The limit passed: a lower bound only.
		res.Bounded = false
		return res, nil
	}
	res.Bounded = true
	res.FailedAt = bad
	if good == 0 {
		// Even the start rate failed.
		return res, nil
	}

	// Bisection phase.
	for (bad-good)/good > tolerance {
		mid := good + (bad-good)/2
		if mid <= good || mid >= bad {
			break // float precision reached
		}
		ok, err := try(mid)
		if err != nil {
			res.Rate, res.FailedAt = good, bad
			return res, err
		}
		if ok {
			good = mid
		} else {
			bad = mid
		}
	}
	res.Rate, res.FailedAt = good, bad
	return res, nil
}
