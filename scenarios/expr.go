package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Expr is a parsed threshold expression `<metric> <op> <value>`, as used by
// `thresholds:` and `sweep.find_max.slo`. Value is in the unit of the
// results contract: latencies in microseconds, counts as numbers, ratios as
// fractions, rates in events per second.
type Expr struct {
	// Metric is one of Metrics(), e.g. "e2e.p99" or "lost".
	Metric string
	// Op is <, <=, >, >=, == or !=.
	Op string
	// Value is the right-hand side in Unit.
	Value float64
	// Unit is UnitMicros, UnitCount, UnitRatio or UnitPerSecond.
	Unit string
}

// Expression value units.
const (
	UnitMicros    = "us"
	UnitCount     = "count"
	UnitRatio     = "ratio"
	UnitPerSecond = "per_s"
)

// Ops are the comparison operators, two-character ones first.
var exprOps = []string{"<=", ">=", "==", "!=", "<", ">"}

var latencyStats = []string{"p50", "p90", "p99", "p999", "max", "mean"}

// metricUnits maps each metric to the unit its value is written in.
var metricUnits = func() map[string]string {
	m := map[string]string{
		"lost": UnitCount, "duplicates": UnitCount, "dead_lettered": UnitCount,
		"retries": UnitCount, "out_of_order": UnitCount,
		"lost_ratio":        UnitRatio,
		"achieved_per_s":    UnitPerSecond,
		"generator_lag.p99": UnitMicros,
		"generator_lag.max": UnitMicros,
	}
	for _, f := range []string{"e2e", "publish", "attempt"} {
		for _, st := range latencyStats {
			m[f+"."+st] = UnitMicros
		}
	}
	return m
}()

// Metrics lists every metric a threshold may name, sorted.
func Metrics() []string { return sortedKeys(metricUnits) }

// Family is the part before the dot ("e2e" for "e2e.p99"); metrics without
// a dot are their own family.
func (e Expr) Family() string {
	f, _, _ := strings.Cut(e.Metric, ".")
	return f
}

// ParseExpr parses a threshold expression such as "e2e.p99 < 500ms",
// "lost == 0", "lost_ratio <= 0.1%" or "achieved_per_s >= 900/s". Latency
// values need a duration unit; counts are plain non-negative numbers;
// lost_ratio is a fraction or a percentage; achieved_per_s takes a rate.
// Errors are *Error values without a position (the loader adds it).
func ParseExpr(s string) (Expr, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] == '_' || t[i] == '.' || (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || (t[i] >= 'A' && t[i] <= 'Z')) {
		i++
	}
	metric := t[:i]
	rest := strings.TrimSpace(t[i:])
	if metric == "" {
		return Expr{}, &Error{Msg: fmt.Sprintf("%q does not start with a metric; write <metric> <op> <value>, e.g. \"e2e.p99 < 500ms\"", s), Allowed: strings.Join(Metrics(), ", ")}
	}
	unit, ok := metricUnits[metric]
	if !ok {
		msg := fmt.Sprintf("unknown metric %q", metric)
		if g := suggest(metric, Metrics()); g != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", g)
		}
		return Expr{}, &Error{Msg: msg, Allowed: strings.Join(Metrics(), ", ")}
	}
	op := ""
	for _, o := range exprOps {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return Expr{}, &Error{Msg: fmt.Sprintf("%q: expected a comparison after %s", s, metric), Allowed: strings.Join(exprOps, " ")}
	}
	val := strings.TrimSpace(rest[len(op):])
	if val == "" {
		return Expr{}, &Error{Msg: fmt.Sprintf("%q: missing the value after %s", s, op), Allowed: valueAllowed(unit)}
	}
	v, err := parseExprValue(unit, val)
	if err != nil {
		return Expr{}, &Error{Msg: fmt.Sprintf("%q: %v", s, err), Allowed: valueAllowed(unit)}
	}
	return Expr{Metric: metric, Op: op, Value: v, Unit: unit}, nil
}

func valueAllowed(unit string) string {
	switch unit {
	case UnitMicros:
		return allowedDuration
	case UnitPerSecond:
		return allowedRate
	case UnitRatio:
		return `a fraction 0..1 or a percentage, e.g. 0.001 or "0.1%"`
	default:
		return "a non-negative number"
	}
}

func parseExprValue(unit, val string) (float64, error) {
	switch unit {
	case UnitMicros:
		if numberRe.MatchString(val) && val != "0" {
			return 0, fmt.Errorf("%s has no unit; latencies need one", val)
		}
		d, err := ParseDuration(val)
		if err != nil {
			return 0, err
		}
		return float64(time.Duration(d)) / float64(time.Microsecond), nil
	case UnitPerSecond:
		r, err := ParseRate(val)
		if err != nil {
			return 0, err
		}
		return float64(r), nil
	case UnitRatio:
		pct := strings.HasSuffix(val, "%")
		num := strings.TrimSpace(strings.TrimSuffix(val, "%"))
		if !numberRe.MatchString(num) {
			return 0, fmt.Errorf("%q is not a number", val)
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%q is not a number", val)
		}
		if pct {
			v /= 100
		}
		if v > 1 {
			return 0, fmt.Errorf("%s is more than 1 (100%%)", val)
		}
		return v, nil
	default:
		if !numberRe.MatchString(val) {
			return 0, fmt.Errorf("%q is not a non-negative number", val)
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%q is not a number", val)
		}
		return v, nil
	}
}

// Holds reports whether a measured value v (in e.Unit) satisfies the
// expression. NaN never holds.
func (e Expr) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch e.Op {
	case "<":
		return v < e.Value
	case "<=":
		return v <= e.Value
	case ">":
		return v > e.Value
	case ">=":
		return v >= e.Value
	case "==":
		return v == e.Value
	case "!=":
		return v != e.Value
	}
	return false
}

// String renders the expression canonically ("e2e.p99 < 500ms").
func (e Expr) String() string {
	var v string
	switch e.Unit {
	case UnitMicros:
		v = (time.Duration(e.Value * float64(time.Microsecond))).String()
	case UnitPerSecond:
		v = Rate(e.Value).String()
	default:
		v = strconv.FormatFloat(e.Value, 'g', -1, 64)
	}
	return e.Metric + " " + e.Op + " " + v
}
