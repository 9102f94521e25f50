package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Threshold is a threshold expression parsed once, when the scenario is
// loaded (`thresholds:` items and `sweep.find_max.slo`), with the text as
// the user wrote it. Everything downstream (the engine's evaluation, the
// saturation search, evbench merge) uses the parsed Expr; Source is what
// reports show and what results.json records, so the document is the same
// as when thresholds were plain strings.
type Threshold struct {
	Expr
	// Source is the expression as written, e.g. "e2e.p99 < 500ms".
	Source string
}

// ParseThreshold parses a threshold expression (see ParseExpr) and keeps
// its text. Errors are *Error values without a position.
func ParseThreshold(s string) (Threshold, error) {
	e, err := ParseExpr(s)
	if err != nil {
		return Threshold{}, err
	}
	return Threshold{Expr: e, Source: s}, nil
}

// MustThreshold is ParseThreshold for expressions written in Go code
// (tests, built-in probes); it panics on an invalid expression.
func MustThreshold(s string) Threshold {
	t, err := ParseThreshold(s)
	if err != nil {
		panic(fmt.Sprintf("scenarios.MustThreshold(%q): %v", s, err))
	}
	return t
}

// String returns the expression as written.
func (t Threshold) String() string { return t.Source }

// MarshalText writes the expression as written: results.json's scenario
// keeps "thresholds" a list of strings and "slo" a string, escaped as the
// encoder escapes every other string.
func (t Threshold) MarshalText() ([]byte, error) { return []byte(t.Source), nil }

// UnmarshalText parses an expression read back from a results document's
// scenario (evbench merge re-evaluates them), so a document read back holds
// parsed thresholds too; text that does not parse is an error.
func (t *Threshold) UnmarshalText(b []byte) error {
	p, err := ParseThreshold(string(b))
	if err != nil {
		return fmt.Errorf("threshold %q: %w", b, err)
	}
	*t = p
	return nil
}

// check reports what is wrong with a threshold that did not come from
// ParseThreshold (a scenario built in Go code), as an *Error, or nil when
// it is a well-formed parsed expression.
func (t Threshold) check() error {
	unit, ok := metricUnits[t.Metric]
	switch {
	case t.Metric == "" && t.Source != "":
		return &Error{Msg: fmt.Sprintf("%q was not parsed (build thresholds with ParseThreshold)", t.Source)}
	case !ok:
		return &Error{Msg: fmt.Sprintf("unknown metric %q", t.Metric), Allowed: strings.Join(Metrics(), ", ")}
	case unit != t.Unit:
		return &Error{Msg: fmt.Sprintf("%s: unit %q, want %q (build thresholds with ParseThreshold)", t.Metric, t.Unit, unit)}
	case !slices.Contains(exprOps, t.Op):
		return &Error{Msg: fmt.Sprintf("%s: unknown comparison %q", t.Metric, t.Op), Allowed: strings.Join(exprOps, " ")}
	}
	return nil
}

// MetricUnit returns the unit of the metric an expression's text starts
// with ("" when it names none). It is for readers of results.json, which
// hold only the text of an evaluated threshold, to format its measured
// value; it does not check the rest of the expression.
func MetricUnit(expr string) string {
	t := strings.TrimSpace(expr)
	// The metric is the leading run of these characters, as in ParseExpr.
	i := strings.IndexFunc(t, func(r rune) bool {
		return r != '_' && r != '.' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	})
	if i >= 0 {
		t = t[:i]
	}
	return metricUnits[t]
}
