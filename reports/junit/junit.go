// Package junit writes JUnit XML test reports, the format every CI system
// (GitHub Actions test reporters, GitLab, Jenkins, Azure Pipelines) shows as
// a test list. The document follows the common JUnit schema (Jenkins xUnit
// junit-10.xsd, checked in this package's tests): testsuites > testsuite >
// testcase, with failure and skipped children.
//
// evbench maps its checks onto test cases: one per threshold of a run, one
// per compared metric of a comparison (see ThresholdSuites and
// reports/compare).
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// Suites is the <testsuites> root element.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr,omitempty"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one <testsuite>; Tests, Failures, Errors and Skipped are filled
// in by Write from the cases.
type Suite struct {
	Name      string `xml:"name,attr"`
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Errors    int    `xml:"errors,attr"`
	Skipped   int    `xml:"skipped,attr"`
	Timestamp string `xml:"timestamp,attr,omitempty"`
	Cases     []Case `xml:"testcase"`
}

// Case is one <testcase>. At most one of Failure and Skipped is set.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr,omitempty"`
	Failure   *Message `xml:"failure,omitempty"`
	Skipped   *Message `xml:"skipped,omitempty"`
	// SystemOut carries the measured figures for a passing case.
	SystemOut string `xml:"system-out,omitempty"`
}

// Message is the body of a <failure> or <skipped> element.
type Message struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Write counts the cases and writes the document with an XML header.
func Write(w io.Writer, s Suites) error {
	s.Tests, s.Failures, s.Errors = 0, 0, 0
	for i := range s.Suites {
		su := &s.Suites[i]
		su.Tests, su.Failures, su.Errors, su.Skipped = len(su.Cases), 0, 0, 0
		for _, c := range su.Cases {
			switch {
			case c.Failure != nil:
				su.Failures++
			case c.Skipped != nil:
				su.Skipped++
			}
		}
		s.Tests += su.Tests
		s.Failures += su.Failures
	}
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header+string(b)+"\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// ThresholdSuites maps a run's thresholds to test suites: one suite per
// system, one case per (point, threshold expression), failing when the
// threshold failed. format renders a measured value in the expression's
// unit (nil: FormatThreshold).
func ThresholdSuites(r *results.Results, format func(results.Threshold) string) []Suite {
	if format == nil {
		format = FormatThreshold
	}
	var suites []Suite
	idx := map[string]int{}
	for _, p := range r.Points {
		if len(p.Thresholds) == 0 {
			continue
		}
		i, ok := idx[p.System]
		if !ok {
			i = len(suites)
			idx[p.System] = i
			suites = append(suites, Suite{Name: "evbench thresholds: " + p.System, Timestamp: timestamp(r)})
		}
		where := PointName(p)
		for _, t := range p.Thresholds {
			c := Case{Name: where + ": " + t.Expr, Classname: "evbench.thresholds." + p.System}
			measured := "measured " + format(t)
			if t.Pass {
				c.SystemOut = measured
			} else {
				msg := measured
				if p.Status != results.StatusComplete {
					msg += " (point " + p.Status + ")"
				}
				c.Failure = &Message{Message: msg, Type: "threshold", Text: t.Expr + ": " + msg}
			}
			suites[i].Cases = append(suites[i].Cases, c)
		}
	}
	return suites
}

// FormatThreshold formats a threshold's measured value in its expression's
// unit: "12.3ms", "480/s", "0.1%".
func FormatThreshold(t results.Threshold) string {
	switch scenarios.MetricUnit(t.Expr) {
	case scenarios.UnitMicros:
		return FormatUS(t.Value)
	case scenarios.UnitPerSecond:
		return strconv.FormatFloat(t.Value, 'f', 0, 64) + "/s"
	case scenarios.UnitRatio:
		return strconv.FormatFloat(t.Value*100, 'g', 4, 64) + "%"
	}
	return strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// FormatUS formats microseconds as a latency with three significant
// digits: "850µs", "12.3ms", "4.20s" (as evbench compare prints them).
func FormatUS(v float64) string {
	switch a := math.Abs(v); {
	case a < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64) + "µs"
	case a < 10_000:
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + "ms"
	case a < 1_000_000:
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + "ms"
	default:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "s"
	}
}

func timestamp(r *results.Results) string {
	if r.Environment.StartedAt.IsZero() {
		return ""
	}
	return r.Environment.StartedAt.UTC().Format("2006-01-02T15:04:05")
}

// PointName is "rate_per_s=100 subscribers=2" (params sorted by name) with
// " repeat=N" for repeats after the first.
func PointName(p results.Point) string {
	keys := make([]string, 0, len(p.Params))
	for k := range p.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += k + "=" + strconv.FormatFloat(p.Params[k], 'g', -1, 64)
	}
	if p.Repeat > 1 {
		s += " repeat=" + strconv.Itoa(p.Repeat)
	}
	if s == "" {
		s = "point"
	}
	return s
}
