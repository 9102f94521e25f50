package engine

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// capacityProbe is a synthetic system with a known capacity: it sustains a
// rate iff rate <= capacity.
func capacityProbe(capacity float64) Probe {
	return func(_ context.Context, rate float64) (bool, error) { return rate <= capacity, nil }
}

// probeBound is the documented upper bound on the number of probes.
func probeBound(start, limit, tol float64) int {
	return int(math.Ceil(math.Log2(limit/start))) + 1 + int(math.Ceil(math.Log2(1/tol)))
}

func TestFindMaxKnownCapacity(t *testing.T) {
	tests := []struct {
		name                   string
		capacity, start, limit float64
		tol                    float64
	}{
		{"small capacity from 10/s", 137, 10, 10240, 0.05},
		{"capacity exactly a doubling step", 800, 100, 102400, 0.05},
		{"1000/s from 500/s", 1000, 500, 512000, 0.05},
		{"5500/s from 100/s", 5500, 100, 102400, 0.05},
		{"99999/s from 1/s", 99999, 1, 1 << 20, 0.05},
		{"capacity between last step and a non-power-of-two limit", 900, 100, 1000, 0.05},
		{"capacity at the start rate", 250, 250, 256000, 0.05},
		{"tight tolerance", 3333, 100, 102400, 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := FindMax(context.Background(), capacityProbe(tc.capacity), tc.start, tc.limit, tc.tol)
			if err != nil {
				t.Fatalf("FindMax: %v", err)
			}
			if !res.Bounded {
				t.Errorf("Bounded = false, want true (a probe above %v must have failed)", tc.capacity)
			}
			// The probe passes iff rate <= C, so Rate <= C and Rate is
			// within the tolerance below C.
			if res.Rate > tc.capacity || res.Rate < tc.capacity*(1-0.05) {
				t.Errorf("Rate = %.2f, want within 5%% below capacity %.2f", res.Rate, tc.capacity)
			}
			if res.Rate < tc.capacity/(1+tc.tol) {
				t.Errorf("Rate = %.2f, want >= capacity/(1+tol) = %.2f", res.Rate, tc.capacity/(1+tc.tol))
			}
			if res.FailedAt <= tc.capacity || (res.FailedAt-res.Rate)/res.Rate > tc.tol {
				t.Errorf("FailedAt = %.2f, want > capacity and within tolerance of Rate %.2f", res.FailedAt, res.Rate)
			}
			if b := probeBound(tc.start, tc.limit, tc.tol); res.Probes > b {
				t.Errorf("Probes = %d, want <= %d", res.Probes, b)
			}
			checkTried(t, res, tc.capacity)
		})
	}
}

// checkTried asserts that the probe log is consistent with a capacity and
// with the reported result.
func checkTried(t *testing.T, res MaxResult, capacity float64) {
	t.Helper()
	if len(res.Tried) != res.Probes {
		t.Fatalf("len(Tried) = %d, Probes = %d", len(res.Tried), res.Probes)
	}
	best := 0.0
	for _, p := range res.Tried {
		if p.OK != (p.Rate <= capacity) {
			t.Errorf("probe at %.2f recorded OK=%v, capacity %.2f", p.Rate, p.OK, capacity)
		}
		if p.OK && p.Rate > best {
			best = p.Rate
		}
	}
	if best != res.Rate {
		t.Errorf("Rate = %.2f, but the best passing probe was %.2f", res.Rate, best)
	}
}

// TestFindMaxNoisy uses a system whose capacity jitters by +/-2% on every
// probe (measurement noise near the knee). Rates below 0.98*C always pass
// and rates above 1.02*C always fail, so with tolerance 2% the answer must
// be within 5% of C.
func TestFindMaxNoisy(t *testing.T) {
	for _, capacity := range []float64{420, 2500, 17000} {
		for seed := uint64(1); seed <= 25; seed++ {
			rng := rand.New(rand.NewPCG(seed, 7))
			probe := func(_ context.Context, rate float64) (bool, error) {
				return rate <= capacity*(1+(rng.Float64()*0.04-0.02)), nil
			}
			res, err := FindMax(context.Background(), probe, 100, 102400, 0.02)
			if err != nil {
				t.Fatalf("C=%v seed %d: %v", capacity, seed, err)
			}
			if rel := math.Abs(res.Rate-capacity) / capacity; rel > 0.05 {
				t.Errorf("C=%v seed %d: Rate = %.1f, %.1f%% off (want within 5%%)", capacity, seed, res.Rate, rel*100)
			}
			if b := probeBound(100, 102400, 0.02); res.Probes > b {
				t.Errorf("C=%v seed %d: Probes = %d, want <= %d", capacity, seed, res.Probes, b)
			}
		}
	}
}

func TestFindMaxStartFails(t *testing.T) {
	res, err := FindMax(context.Background(), capacityProbe(50), 100, 1000, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rate != 0 || !res.Bounded || res.Probes != 1 || res.FailedAt != 100 {
		t.Errorf("got %+v, want Rate 0, Bounded, 1 probe, FailedAt 100", res)
	}
}

func TestFindMaxLimitPasses(t *testing.T) {
	res, err := FindMax(context.Background(), capacityProbe(1e9), 100, 1000, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	// 100, 200, 400, 800, 1000.
	if res.Rate != 1000 || res.Bounded || res.Probes != 5 || res.FailedAt != 0 {
		t.Errorf("got %+v, want Rate 1000 (the limit), not bounded, 5 probes", res)
	}
	// start == limit: one probe.
	res, err = FindMax(context.Background(), capacityProbe(1e9), 300, 300, 0.05)
	if err != nil || res.Rate != 300 || res.Probes != 1 || res.Bounded {
		t.Errorf("start == limit: got %+v, %v", res, err)
	}
}

func TestFindMaxCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	probe := func(ctx context.Context, rate float64) (bool, error) {
		calls++
		if calls == 3 {
			cancel()
		}
		return rate <= 10000, nil
	}
	res, err := FindMax(ctx, probe, 100, 1e6, 0.05)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if calls != 3 || res.Probes != 3 {
		t.Errorf("calls = %d, Probes = %d, want 3: no probe may start after cancellation", calls, res.Probes)
	}
	if res.Rate != 400 {
		t.Errorf("partial Rate = %v, want 400 (best passing so far)", res.Rate)
	}

	// Already cancelled: no probe at all.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	res, err = FindMax(ctx2, capacityProbe(1000), 100, 1e6, 0.05)
	if !errors.Is(err, context.Canceled) || res.Probes != 0 {
		t.Errorf("pre-cancelled: res %+v err %v", res, err)
	}
}

func TestFindMaxProbeError(t *testing.T) {
	boom := errors.New("broker unreachable")
	probe := func(_ context.Context, rate float64) (bool, error) {
		if rate > 300 {
			return false, boom
		}
		return true, nil
	}
	res, err := FindMax(context.Background(), probe, 100, 1e6, 0.05)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapped probe error", err)
	}
	if res.Rate != 200 || res.Probes != 3 {
		t.Errorf("got %+v, want Rate 200 after 3 probes", res)
	}
}

func TestFindMaxBadInput(t *testing.T) {
	p := capacityProbe(1)
	tests := []struct {
		name              string
		probe             Probe
		start, limit, tol float64
	}{
		{"nil probe", nil, 1, 2, 0.1},
		{"zero start", p, 0, 2, 0.1},
		{"negative start", p, -5, 2, 0.1},
		{"NaN start", p, math.NaN(), 2, 0.1},
		{"limit below start", p, 10, 5, 0.1},
		{"infinite limit", p, 10, math.Inf(1), 0.1},
		{"zero tolerance", p, 1, 2, 0},
		{"NaN tolerance", p, 1, 2, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := FindMax(context.Background(), tc.probe, tc.start, tc.limit, tc.tol)
			if err == nil {
				t.Fatalf("want an error, got %+v", res)
			}
			if res.Probes != 0 {
				t.Errorf("probed %d times on bad input", res.Probes)
			}
		})
	}
}

// TestFindMaxTinyTolerance checks that a tolerance below float precision
// terminates instead of probing forever.
func TestFindMaxTinyTolerance(t *testing.T) {
	res, err := FindMax(context.Background(), capacityProbe(1234.5), 100, 102400, 1e-300)
	if err != nil {
		t.Fatal(err)
	}
	if res.Probes > 80 || math.Abs(res.Rate-1234.5) > 1e-9 {
		t.Errorf("got Rate %v after %d probes", res.Rate, res.Probes)
	}
}
