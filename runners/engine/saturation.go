package engine

import (
	"context"
	"fmt"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// runFindMax runs the saturation search for every system and every swept
// subscriber count, recording one MaxRate per (system, subscribers). Each
// probe is a fresh point at a constant rate; a probe passes when every
// subscriber meets the SLO, the total lost is within max_loss and the
// generator kept up (achieved >= 95% of offered). With find_max.confirm a
// failed rate is probed again before the search treats it as failed.
func runFindMax(ctx context.Context, sc *scenarios.Scenario, systems []string, res *results.Results, opts Options) error {
	fm := sc.Sweep.FindMax
	slo := fm.SLO // parsed and validated by the loader
	counts := sc.Sweep.Subscribers
	if len(counts) == 0 {
		counts = []int{len(sc.Subscribers)}
	}
	start := fm.Start.PerSecond()
	if start <= 0 {
		start = sc.Load.Rate.PerSecond()
	}
	if start <= 0 {
		start = 100
	}
	limit := fm.Limit.PerSecond()
	if limit <= 0 {
		limit = start * 1024
	}
	tol := fm.Tolerance
	if tol <= 0 {
		tol = 0.05
	}
	for _, sys := range systems {
		for _, n := range counts {
			probeNo, reruns := 0, 0
			once := func(ctx context.Context, rate float64) (bool, error) {
				probeNo++
				psc, params, err := probeScenario(sc, rate, n, fm.Duration)
				if err != nil {
					return false, err
				}
				params[scenarios.ParamFindMaxProbe] = float64(probeNo)
				if opts.OnPoint != nil {
					opts.OnPoint(probeNo, 0, sys, params)
				}
				p, err := runPoint(ctx, sys, psc, params, 0, opts)
				if ctx.Err() != nil {
					return false, ctx.Err()
				}
				if err != nil {
					opts.logf("find_max %s rate %.0f/s failed: %v", sys, rate, err)
					return false, nil
				}
				v, ok := MetricValue(p, slo.Metric)
				lost, _ := MetricValue(p, "lost")
				pass := ok && slo.Holds(v) && int64(lost) <= fm.MaxLoss && p.AchievedPerS >= 0.95*p.OfferedPerS && !p.Overloaded
				opts.logf("find_max %s subscribers=%d rate=%.0f/s %s=%.0f lost=%.0f -> pass=%v", sys, n, rate, slo.Metric, v, lost, pass)
				return pass, nil
			}
			// A failed rate is run again up to fm.Confirm times and passes
			// when any run does; every run is a probe, and the count of
			// reruns is recorded next to the result.
			probe := func(ctx context.Context, rate float64) (bool, error) {
				for attempt := 0; ; attempt++ {
					pass, err := once(ctx, rate)
					if err != nil || pass || attempt >= fm.Confirm {
						return pass, err
					}
					reruns++
					opts.logf("find_max %s subscribers=%d rate=%.0f/s failed; running it again (confirm %d of %d)", sys, n, rate, attempt+1, fm.Confirm)
				}
			}
			mr, err := FindMax(ctx, probe, start, limit, tol)
			if err != nil {
				return fmt.Errorf("find_max %s: %w", sys, err)
			}
			res.MaxSustainable = append(res.MaxSustainable, results.MaxRate{
				System: sys, Subscribers: n, RatePerS: mr.Rate, SLO: fm.SLO.Source, Probes: probeNo, Reruns: reruns, Bounded: mr.Bounded,
			})
			if opts.Checkpoint != nil {
				opts.Checkpoint(res)
			}
		}
	}
	return nil
}

// probeScenario returns the scenario of one saturation probe: a constant
// arrival at rate with n subscribers (and the probe duration when set),
// built through the same sweep expansion as every other point.
func probeScenario(sc *scenarios.Scenario, rate float64, n int, d scenarios.Duration) (*scenarios.Scenario, map[string]float64, error) {
	c := *sc
	c.Load.Arrival = scenarios.ArrivalConstant
	c.Load.Rate = scenarios.Rate(rate)
	if d > 0 {
		c.Load.Duration = d
	}
	c.Sweep = &scenarios.Sweep{Rate: []scenarios.Rate{scenarios.Rate(rate)}, Subscribers: []int{n}, Repeats: 1}
	specs, err := c.Expand()
	if err != nil {
		return nil, nil, fmt.Errorf("probe at %.0f/s: %w", rate, err)
	}
	if len(specs) != 1 {
		return nil, nil, fmt.Errorf("probe at %.0f/s expanded to %d points, want 1", rate, len(specs))
	}
	return specs[0].Scenario, specs[0].Params, nil
}
