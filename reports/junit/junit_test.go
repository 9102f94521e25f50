package junit

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/junit/junittest"
	"github.com/evbench/evbench/reports/results"
)

func TestCheckSchemaRejects(t *testing.T) {
	bad := map[string]string{
		"unknown element":     `<testsuites><testsuite name="a" tests="0" failures="0" errors="0"><bogus/></testsuite></testsuites>`,
		"missing tests":       `<testsuites><testsuite name="a" failures="0" errors="0"></testsuite></testsuites>`,
		"testcase at root":    `<testcase name="x"/>`,
		"testcase sans name":  `<testsuite name="a" tests="1" failures="0" errors="0"><testcase/></testsuite>`,
		"unknown attribute":   `<testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x" status="ok"/></testsuite>`,
		"wrong count":         `<testsuite name="a" tests="2" failures="0" errors="0"><testcase name="x"/></testsuite>`,
		"failure not counted": `<testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x"><failure/></testcase></testsuite>`,
		"bad time":            `<testsuite name="a" tests="0" failures="0" errors="0" time="1s"></testsuite>`,
		"text in testcase":    `<testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x">hi</testcase></testsuite>`,
	}
	for name, doc := range bad {
		if err := junittest.CheckSchema([]byte(doc)); err == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
	if err := junittest.CheckSchema([]byte(`<testsuites tests="1" failures="1"><testsuite name="a" tests="1" failures="1" errors="0" time="1,234.5"><testcase name="x"><failure message="m">t</failure></testcase></testsuite></testsuites>`)); err != nil {
		t.Errorf("valid document rejected: %v", err)
	}
}

func TestThresholdSuitesAreValidJUnit(t *testing.T) {
	r := &results.Results{Environment: results.Environment{StartedAt: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)},
		Points: []results.Point{
			{System: "webhook", Params: map[string]float64{"rate_per_s": 100, "subscribers": 2}, Status: results.StatusComplete,
				Thresholds: []results.Threshold{{Expr: "e2e.p99 < 50ms", Value: 12000, Pass: true}, {Expr: "lost == 0", Value: 3}}},
			{System: "kafka", Params: map[string]float64{"rate_per_s": 100, "subscribers": 2}, Status: results.StatusFailed, Repeat: 2,
				Thresholds: []results.Threshold{{Expr: "lost == 0", Value: 0}}},
			{System: "bridge", Status: results.StatusComplete},
		}}
	var buf bytes.Buffer
	if err := Write(&buf, Suites{Name: "evbench run", Suites: ThresholdSuites(r, nil)}); err != nil {
		t.Fatal(err)
	}
	if err := junittest.CheckSchema(buf.Bytes()); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	out := buf.String()
	for _, want := range []string{`<testsuites name="evbench run" tests="3" failures="2" errors="0">`,
		`<testsuite name="evbench thresholds: webhook" tests="2" failures="1" errors="0" skipped="0" timestamp="2026-03-14T09:00:00">`,
		`<testcase name="rate_per_s=100 subscribers=2: e2e.p99 &lt; 50ms" classname="evbench.thresholds.webhook">`,
		`<failure message="measured 3" type="threshold">lost == 0: measured 3</failure>`,
		`rate_per_s=100 subscribers=2 repeat=2: lost == 0`, `measured 0 (point failed)`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "bridge") {
		t.Errorf("a point without thresholds got a suite:\n%s", out)
	}
}
