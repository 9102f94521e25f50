package engine

import (
	"strings"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// Evaluate evaluates threshold expressions against a point. Per-subscriber
// latency metrics use the worst subscriber (the highest value); counts are
// summed over subscribers; lost_ratio is total lost / total sent.
// A threshold on a metric the system does not measure is left out of that
// point. Expressions were validated when the scenario was loaded; one that
// no longer parses is reported as failing with value 0.
func Evaluate(exprs []string, p *results.Point) []results.Threshold {
	var out []results.Threshold
	for _, s := range exprs {
		e, err := scenarios.ParseExpr(s)
		if err != nil {
			out = append(out, results.Threshold{Expr: s})
			continue
		}
		v, ok := MetricValue(p, e.Metric)
		if !ok {
			// The system does not measure this metric (publish.* on
			// webhook, attempt.* on kafka): not applicable, not a failure.
			continue
		}
		out = append(out, results.Threshold{Expr: s, Value: v, Pass: p.Status == results.StatusComplete && e.Holds(v)})
	}
	return out
}

// MetricValue returns the value of a threshold metric for a point, in the
// results' units (microseconds for latencies).
func MetricValue(p *results.Point, metric string) (float64, bool) {
	pick := func(s results.Summary, field string) (float64, bool) {
		switch field {
		case "p50":
			return float64(s.P50), true
		case "p90":
			return float64(s.P90), true
		case "p99":
			return float64(s.P99), true
		case "p999":
			return float64(s.P999), true
		case "max":
			return float64(s.Max), true
		case "mean":
			return s.Mean, true
		}
		return 0, false
	}
	group, field, _ := strings.Cut(metric, ".")
	switch group {
	case "e2e", "attempt":
		var worst float64
		found := false
		for _, s := range p.Subscribers {
			lat := s.E2E
			if group == "attempt" {
				if s.Attempt == nil {
					continue
				}
				lat = *s.Attempt
			}
			if v, ok := pick(lat.LatencyUS, field); ok {
				found = true
				if v > worst {
					worst = v
				}
			}
		}
		return worst, found
	case "publish":
		if p.Publish == nil {
			return 0, false
		}
		return pick(p.Publish.LatencyUS, field)
	case "generator_lag":
		switch field {
		case "p99":
			return float64(p.GeneratorLagUS.P99), true
		case "max":
			return float64(p.GeneratorLagUS.Max), true
		}
		return 0, false
	case "achieved_per_s":
		return p.AchievedPerS, true
	}
	var sent, sum float64
	for _, s := range p.Subscribers {
		a := s.Accounting
		sent += float64(a.Sent)
		switch metric {
		case "lost", "lost_ratio":
			sum += float64(a.Lost)
		case "duplicates":
			sum += float64(a.Duplicates)
		case "dead_lettered":
			sum += float64(a.DeadLettered)
		case "retries":
			sum += float64(a.Retries)
		case "out_of_order":
			sum += float64(a.OutOfOrder)
		default:
			return 0, false
		}
	}
	if metric == "lost_ratio" {
		if sent == 0 {
			return 0, true
		}
		return sum / sent, true
	}
	return sum, true
}
