package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/junit/junittest"
	"github.com/evbench/evbench/reports/results"
)

// TestRunThresholdsExit99 runs a scenario whose latency threshold cannot
// hold: the run itself succeeds, so evbench exits 99 (k6's code for failed
// thresholds), and --junit / --summary-md report the failing threshold.
func TestRunThresholdsExit99(t *testing.T) {
	bin := binary(t)
	out := t.TempDir()
	junitPath, mdPath := filepath.Join(out, "thresholds.xml"), filepath.Join(out, "summary.md")
	stdout, stderr, code := runBin(t, bin, "run", "testdata/failthreshold.yaml", "--out", out, "--no-report", "--quiet",
		"--junit", junitPath, "--summary-md", mdPath)
	if code != exitThresholds || !strings.Contains(stderr, "thresholds failed: webhook: e2e.p99 < 1ms") {
		t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, exitThresholds, stdout, stderr)
	}
	res, err := results.ReadFile(filepath.Join(out, "results.json"))
	if err != nil || res.Status != results.StatusComplete {
		t.Fatalf("results %v, err %v: the run itself must be complete", res, err)
	}
	if n := res.Environment.Noise; n == nil || n.Samples == 0 || n.DurationMS > 500 {
		t.Errorf("noise calibration %+v: want one, under 0.5 s", n)
	}
	x, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := junittest.CheckSchema(x); err != nil {
		t.Errorf("JUnit: %v\n%s", err, x)
	}
	for _, want := range []string{`tests="2" failures="1"`, `name="rate_per_s=100 subscribers=1: e2e.p99 &lt; 1ms"`, `type="threshold"`} {
		if !strings.Contains(string(x), want) {
			t.Errorf("JUnit lacks %s:\n%s", want, x)
		}
	}
	md, err := os.ReadFile(mdPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## evbench run: failthreshold", "**1 of 2 thresholds FAILED**", "| webhook | rate_per_s=100 subscribers=1 | `e2e.p99 < 1ms` |", "**FAIL**"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

// overloadedSpreadPct is the CPU-loop spread above which the machine is
// too overloaded for the end-to-end detection test to be meaningful; the
// test runs were reliable up to about ±200% on the shared 2-core
// development machine.
const overloadedSpreadPct = 300

// TestCompareSignificanceThroughBinary runs the same scenario with 10
// repeats and compares the odd repeats with the even ones (interleaved, so
// a drift in the machine's load touches both sets): no significant
// regression. Then it raises the subscriber's processing time by 30% and
// compares 5 runs against 5: a significant regression, exit 4.
func TestCompareSignificanceThroughBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 20 two-second points")
	}
	bin := binary(t)
	dir := t.TempDir()
	// run runs a scenario written to dir/file.yaml (the same path for
	// every run of a side, so the documents' scenarios are identical).
	run := func(name, file, yaml string) *results.Results {
		t.Helper()
		sc := filepath.Join(dir, file+".yaml")
		if err := os.WriteFile(sc, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name)
		if stdout, stderr, code := runBin(t, bin, "run", sc, "--out", out, "--no-report", "--quiet"); code != 0 {
			t.Fatalf("run %s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		r, err := results.ReadFile(filepath.Join(out, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	src, err := os.ReadFile("testdata/sig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	same := run("same", "same", string(src))
	if len(same.Points) != 10 {
		t.Fatalf("%d points, want 10 repeats", len(same.Points))
	}
	half := func(r *results.Results, odd int) string {
		c := *r
		c.Points = nil
		for _, p := range r.Points {
			if p.Repeat%2 == odd {
				c.Points = append(c.Points, p)
			}
		}
		path := filepath.Join(dir, map[int]string{1: "odd.json", 0: "even.json"}[odd])
		if err := results.WriteFile(path, &c); err != nil {
			t.Fatal(err)
		}
		return path
	}
	odd, even := half(same, 1), half(same, 0)
	// Identical runs are compared at alpha 0.01: with several correlated
	// latency metrics per point, a chance result at 0.05 (3% per metric
	// with 5+5 runs) would make this test flaky; at 0.01 only completely
	// separated runs count (0.8% per metric). docs/ci.md recommends the
	// same for gates over many metrics. The regression below is judged at
	// the default 0.05, which tolerates one or two runs disturbed by a
	// loaded machine.
	stdout, stderr, code := runBin(t, bin, "compare", "--alpha", "0.01", odd, even)
	t.Logf("same binary, odd vs even repeats:\n%s", stdout)
	if code != 0 || !strings.Contains(stdout, "no regression") || !strings.Contains(stdout, "n=5+5") {
		t.Fatalf("same scenario twice: exit %d\n%s%s", code, stdout, stderr)
	}

	// The regression: processing 40ms -> 52ms. Base and candidate runs
	// alternate, one process each, so a change in the shared machine's load
	// hits both sides alike; the five files per side go through the
	// several-files form of compare.
	one := strings.Replace(string(src), "repeats: 10", "repeats: 1", 1)
	slowYAML := strings.Replace(one, "processing: 40ms", "processing: 52ms", 1)
	if slowYAML == one || one == string(src) {
		t.Fatal("could not inject the regression into testdata/sig.yaml")
	}
	var bases, slows []string
	var slow *results.Results
	for i := 1; i <= 5; i++ {
		run(fmt.Sprintf("base%d", i), "base", one)
		slow = run(fmt.Sprintf("slow%d", i), "slow", slowYAML)
		bases = append(bases, filepath.Join(dir, fmt.Sprintf("base%d", i), "results.json"))
		slows = append(slows, filepath.Join(dir, fmt.Sprintf("slow%d", i), "results.json"))
	}
	md := filepath.Join(dir, "summary.md")
	// Flags go before "--": everything after it is a candidate file.
	args := append(append(append([]string{"compare", "--format", "json", "--summary-md", md}, bases...), "--"), slows...)
	stdout, stderr, code = runBin(t, bin, args...)
	summary, _ := os.ReadFile(md)
	t.Logf("injected regression (processing 40ms -> 52ms), noise of the last run %+v:\n%s", *slow.Environment.Noise, summary)
	if code != exitRegression {
		// On a heavily overloaded machine (CPU starved for long stretches)
		// five runs per side cannot separate a 30% change, and evbench must
		// say why instead of passing silently. Below that level of noise a
		// miss is a failure.
		worst := 0.0
		for _, p := range append(append([]string{}, bases...), slows...) {
			if r, err := results.ReadFile(p); err == nil && r.Environment.Noise != nil {
				worst = max(worst, r.Environment.Noise.CPUSpreadPct)
			}
		}
		if code == 0 && worst > overloadedSpreadPct && strings.Contains(stderr, "this machine's noise is") {
			t.Skipf("machine overloaded (CPU loop spread ±%.0f%% > ±%d%%): the 30%% change was not significant over 5+5 runs, and compare warned about the noise", worst, overloadedSpreadPct)
		}
		t.Fatalf("processing +30%%: exit %d, want %d (worst noise ±%.0f%%)\n%s", code, exitRegression, worst, stderr)
	}
	var rep struct {
		Regressions []struct {
			Metric    string  `json:"metric"`
			ChangePct float64 `json:"change_pct"`
			Stats     struct {
				P           float64 `json:"p"`
				Significant bool    `json:"significant"`
				BaseN       int     `json:"base_n"`
				CandidateN  int     `json:"candidate_n"`
			} `json:"stats"`
		} `json:"regressions"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var p50 bool
	for _, g := range rep.Regressions {
		if !g.Stats.Significant || g.Stats.P > 0.05 || g.Stats.BaseN != 5 || g.Stats.CandidateN != 5 {
			t.Errorf("regression %+v not significant over 5+5 samples", g)
		}
		if g.Metric == "e2e_p50_us" {
			p50 = true
			// 40ms -> 52ms of processing, plus a little delivery overhead on both sides.
			if g.ChangePct < 20 || g.ChangePct > 40 {
				t.Errorf("e2e p50 change %+.1f%%, want about +30%%", g.ChangePct)
			}
		}
	}
	if !p50 {
		t.Errorf("e2e p50 not flagged: %s", stdout)
	}
	if !strings.Contains(string(summary), "**REGRESSION**") || !strings.Contains(string(summary), "(n=5+5)") {
		t.Errorf("summary:\n%s", summary)
	}
}

func TestCompareSidesAndFormats(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	base := writeDoc(t, dir, "base.json", cliDoc(t, "orders", 10000, 0))
	base2 := writeDoc(t, dir, "base2.json", cliDoc(t, "orders", 10100, 0))
	slower := writeDoc(t, dir, "slower.json", cliDoc(t, "orders", 13000, 0))
	slower2 := writeDoc(t, dir, "slower2.json", cliDoc(t, "orders", 13100, 0))
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"two files per side after --: too few to judge", []string{base, base2, "--", slower, slower2}, 0, "could not be judged"},
		{"--base and --candidate", []string{"--base", base, "--base", base2, "--candidate", slower, "--candidate", slower2}, 0, "cannot judge"},
		{"--base with one file each is paired", []string{"--base", base, "--candidate", slower}, exitRegression, "e2e p99 rose"},
		{"mixing flags and files", []string{base, "--candidate", slower}, exitBadInput, "cannot be mixed"},
		{"--base alone", []string{"--base", base}, exitBadInput, "both required"},
		{"empty side of --", []string{base, "--"}, exitBadInput, "each side of --"},
		{"three files without --", []string{base, base2, slower}, exitBadInput, "accepts 2 arg"},
		{"markdown", []string{base, slower, "--format", "markdown"}, exitRegression, "|  | inventory | e2e p99 | 10.0ms | 13.0ms | +30.0% | **REGRESSION** |"},
		{"junit", []string{base, slower, "--format", "junit"}, exitRegression, `<failure message="e2e p99 rose`},
		{"json", []string{base, slower, "--format", "json"}, exitRegression, `"mode": "paired"`},
		{"bad format", []string{base, slower, "--format", "html"}, exitBadInput, "want text, markdown, junit or json"},
		{"--json and another --format", []string{base, slower, "--json", "--format", "text"}, exitBadInput, "disagree"},
		{"bad alpha", []string{base, slower, "--alpha", "1.5"}, exitBadInput, "alpha"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runBin(t, bin, append([]string{"compare"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
				t.Errorf("exit %d (want %d), output does not contain %q:\nstdout:\n%s\nstderr:\n%s", code, tc.code, tc.contains, out, errOut)
			}
			if strings.Contains(strings.Join(tc.args, " "), "junit") {
				if err := junittest.CheckSchema([]byte(out)); err != nil {
					t.Errorf("JUnit on stdout: %v", err)
				}
			}
		})
	}
	t.Run("--junit and --summary-md files", func(t *testing.T) {
		x, md := filepath.Join(dir, "c.xml"), filepath.Join(dir, "c.md")
		if err := os.WriteFile(md, []byte("earlier step\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(x, []byte("<old/>\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, errOut, code := runBin(t, bin, "compare", base, slower, "--junit", x, "--summary-md", md); code != exitRegression {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		b, err := os.ReadFile(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := junittest.CheckSchema(b); err != nil || !strings.Contains(string(b), `failures="3"`) {
			t.Errorf("JUnit file (err %v): %s", err, b)
		}
		m, _ := os.ReadFile(md)
		if !strings.HasPrefix(string(m), "earlier step\n## evbench compare: 3 regression(s)") {
			t.Errorf("summary not appended:\n%s", m)
		}
	})
}
