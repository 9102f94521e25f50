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
// point. A threshold on a metric with no data (a latency whose histogram is
// empty because everything was lost, lost_ratio with nothing sent) fails
// with NoData set: "no events" must never read as "fast enough".
// Expressions were parsed and validated when the scenario was loaded;
// results record each one as written (Threshold.Source).
func Evaluate(ths []scenarios.Threshold, p *results.Point) []results.Threshold {
	var out []results.Threshold
	for _, e := range ths {
		s := e.Source
		v, applies, data := metricValue(p, e.Metric)
		switch {
		case !applies:
			// The system does not measure this metric (publish.* on
			// webhook, attempt.* on kafka): not applicable, not a failure.
			continue
		case !data:
			out = append(out, results.Threshold{Expr: s, NoData: true})
			continue
		}
		out = append(out, results.Threshold{Expr: s, Value: v, Pass: p.Status == results.StatusComplete && e.Holds(v)})
	}
	return out
}

// MetricValue returns the value of a threshold metric for a point, in the
// results' units (microseconds for latencies). ok is false when the system
// does not measure the metric or there is no data for it (see Evaluate).
func MetricValue(p *results.Point, metric string) (float64, bool) {
	v, applies, data := metricValue(p, metric)
	return v, applies && data
}

// metricValue returns a metric's value, whether the point's system
// measures it at all (applies) and whether there is data for it.
func metricValue(p *results.Point, metric string) (v float64, applies, data bool) {
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
	var sent, sum float64
	for _, s := range p.Subscribers {
		sent += float64(s.Accounting.Sent)
	}
	group, field, _ := strings.Cut(metric, ".")
	switch group {
	case "e2e", "attempt":
		var worst float64
		found, data := false, true
		for _, s := range p.Subscribers {
			lat := s.E2E
			if group == "attempt" {
				if s.Attempt == nil {
					continue
				}
				lat = *s.Attempt
			}
			v, ok := pick(lat.LatencyUS, field)
			if !ok {
				continue
			}
			found = true
			if lat.LatencyUS.Count == 0 {
				// This subscriber has no latency at all: its worst case
				// is unknown, so the worst over subscribers is too.
				data = false
			}
			worst = max(worst, v)
		}
		return worst, found, data
	case "publish":
		if p.Publish == nil {
			return 0, false, false
		}
		v, ok := pick(p.Publish.LatencyUS, field)
		return v, ok, p.Publish.LatencyUS.Count > 0
	case "generator_lag":
		switch field {
		case "p99":
			return float64(p.GeneratorLagUS.P99), true, sent > 0
		case "max":
			return float64(p.GeneratorLagUS.Max), true, sent > 0
		}
		return 0, false, false
	case "achieved_per_s":
		return p.AchievedPerS, true, true
	}
	for _, s := range p.Subscribers {
		a := s.Accounting
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
			return 0, false, false
		}
	}
	if metric == "lost_ratio" {
		if sent == 0 {
			return 0, true, false
		}
		return sum / sent, true, true
	}
	return sum, true, true
}
