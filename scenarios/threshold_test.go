package scenarios_test

import (
	"encoding/json"
	"strings"
	"testing"

	. "github.com/evbench/evbench/scenarios"
)

// TestThresholdJSON: a parsed threshold is written as the text the user
// wrote (results.json's scenario keeps "thresholds" a list of strings and
// "slo" a string) and read back parsed; text that does not parse is an
// error, not a threshold that fails later.
func TestThresholdJSON(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(minimal+"thresholds: [\"e2e.p99<500ms\", \"lost == 0\"]\nsweep:\n  find_max: {slo: \"e2e.p99 < 1s\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\"thresholds\": [\n    \"e2e.p99<500ms\",\n    \"lost == 0\"\n  ]", `"slo": "e2e.p99 < 1s"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("scenario JSON lacks %s:\n%s", want, b)
		}
	}
	var back struct {
		Thresholds []Threshold `json:"thresholds"`
		Sweep      struct {
			FindMax FindMax `json:"find_max"`
		} `json:"sweep"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Thresholds) != 2 || back.Thresholds[0] != s.Thresholds[0] || back.Thresholds[1] != s.Thresholds[1] || back.Sweep.FindMax.SLO != s.Sweep.FindMax.SLO {
		t.Errorf("read back %+v, want %+v", back, s.Thresholds)
	}
	var th []Threshold
	if err := json.Unmarshal([]byte(`["lost == 0", "e2e.p99 < 500"]`), &th); err == nil || !strings.Contains(err.Error(), "has no unit") {
		t.Errorf("unmarshal of an invalid threshold: %v, want an error saying it has no unit", err)
	}
}

// TestThresholdValidate: a scenario built in Go code must hold parsed
// thresholds; Validate names the one that was not.
func TestThresholdValidate(t *testing.T) {
	base, err := LoadBytes("t.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		th   Threshold
		err  string
	}{
		{"parsed", MustThreshold("lost == 0"), ""},
		{"text only", Threshold{Source: "lost == 0"}, `thresholds[0]: "lost == 0" was not parsed`},
		{"zero", Threshold{}, `thresholds[0]: unknown metric ""`},
		{"wrong unit", Threshold{Expr: Expr{Metric: "lost", Op: "==", Unit: UnitMicros}}, `thresholds[0]: lost: unit "us", want "count"`},
		{"bad op", Threshold{Expr: Expr{Metric: "lost", Op: "=", Unit: UnitCount}}, `thresholds[0]: lost: unknown comparison "="`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base.Clone()
			s.Thresholds = []Threshold{tc.th}
			err := s.Validate()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("Validate = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestMetricUnit(t *testing.T) {
	for in, want := range map[string]string{
		"e2e.p99 < 5ms": UnitMicros, "e2e.p99<5ms": UnitMicros, " lost==0": UnitCount, "lost_ratio <= 1%": UnitRatio,
		"achieved_per_s >= 9/s": UnitPerSecond, "nope < 1": "", "": "", "e2e.p99 < 250ms && lost == 0": UnitMicros,
		"lost\t== 0": UnitCount, "e2e.p99\n<1s": UnitMicros,
	} {
		if got := MetricUnit(in); got != want {
			t.Errorf("MetricUnit(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseThreshold: the threshold parser reads outside input (scenario
// files, and results documents' scenarios in evbench merge). Whatever it
// accepts is a well-formed parsed expression that survives the round trip
// through results.json's text and whose unit MetricUnit finds from the
// text alone.
func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"e2e.p99 < 500ms", "lost==0", " lost_ratio <= 0.1% ", "achieved_per_s >= 60/min",
		"publish.max != 1.5s", "e2e.p99 < 500", "", "<", "lost == 1e308", "retries < 0x10", "lost\t== 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s)
		if err != nil {
			return
		}
		if err := CheckThreshold(th); err != nil {
			t.Fatalf("%q parsed to %+v, which does not check: %v", s, th, err)
		}
		b, err := th.MarshalText()
		if err != nil || string(b) != s {
			t.Fatalf("%q marshals to %q, %v", s, b, err)
		}
		var back Threshold
		if err := back.UnmarshalText(b); err != nil || back != th {
			t.Fatalf("%q: read back %+v, %v; want %+v", s, back, err, th)
		}
		if u := MetricUnit(s); u != th.Unit {
			t.Fatalf("MetricUnit(%q) = %q, want %q", s, u, th.Unit)
		}
	})
}

// TestThresholdClone: a clone holds the same parsed thresholds and SLO,
// and changing the clone's leaves the original's alone.
func TestThresholdClone(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(minimal+"thresholds: [\"lost == 0\"]\nsweep:\n  find_max: {slo: \"e2e.p99 < 1s\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Clone()
	if len(c.Thresholds) != 1 || c.Thresholds[0] != s.Thresholds[0] || c.Sweep.FindMax.SLO != s.Sweep.FindMax.SLO {
		t.Fatalf("clone %+v %+v, want %+v %+v", c.Thresholds, c.Sweep.FindMax.SLO, s.Thresholds, s.Sweep.FindMax.SLO)
	}
	c.Thresholds[0] = MustThreshold("lost <= 5")
	c.Sweep.FindMax.SLO = MustThreshold("e2e.p50 < 1ms")
	if s.Thresholds[0].Source != "lost == 0" || s.Thresholds[0].Value != 0 || s.Sweep.FindMax.SLO.Source != "e2e.p99 < 1s" {
		t.Errorf("changing the clone changed the original: %+v %+v", s.Thresholds, s.Sweep.FindMax.SLO)
	}
}
