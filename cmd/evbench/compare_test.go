package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// cliDoc is a small, valid results document of scenario name: one webhook
// point at 100/s for 10 s, one subscriber with 980 deliveries at 2ms, 20 at
// tailUS and lost lost events.
func cliDoc(t *testing.T, name string, tailUS, lost int64) *results.Results {
	t.Helper()
	h := results.NewHistogram()
	delivered := int64(1000) - lost
	if err := h.RecordValues(2000, delivered-20); err != nil {
		t.Fatal(err)
	}
	if err := h.RecordValues(tailUS, 20); err != nil {
		t.Fatal(err)
	}
	e2e, err := results.NewLatency(h)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := json.Marshal(map[string]any{"name": name, "thresholds": []string{"lost == 0", "e2e.p99 < 50ms"}})
	start := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	return &results.Results{
		Schema: results.Schema, Status: results.StatusComplete, Scenario: sc,
		Environment: results.Environment{Go: "go1.26.8", OS: "linux", Arch: "amd64", CPUs: 2, Revision: "abc1234",
			StartedAt: start, FinishedAt: start.Add(15 * time.Second)},
		Points: []results.Point{{
			System: "webhook", Params: map[string]float64{"rate_per_s": 100, "subscribers": 1}, Repeat: 1,
			Status: results.StatusComplete, OfferedPerS: 100, AchievedPerS: 100, StartedAt: start.Add(time.Second), DurationS: 10,
			Subscribers: []results.Subscriber{{Name: "inventory", E2E: e2e,
				Accounting: results.Accounting{Sent: 1000, Delivered: delivered, Lost: lost}}},
			Resources:  results.Resources{CPUUserS: 0.5, CPUSysS: 0.1, MaxRSSBytes: 50 << 20, BytesSent: 600000},
			Timeseries: []results.Sample{{TS: 1, Offered: 100, Achieved: 100, Delivered: 100}},
			Thresholds: []results.Threshold{{Expr: "lost == 0", Value: float64(lost), Pass: lost == 0}},
		}},
	}
}

func writeDoc(t *testing.T, dir, file string, r *results.Results) string {
	t.Helper()
	path := filepath.Join(dir, file)
	if err := results.WriteFile(path, r); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareAndMergeCLI(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	base := writeDoc(t, dir, "base.json", cliDoc(t, "orders", 10000, 0))
	slower := writeDoc(t, dir, "slower.json", cliDoc(t, "orders", 13000, 0))     // p99 +30%, +3ms
	slightly := writeDoc(t, dir, "slightly.json", cliDoc(t, "orders", 10500, 0)) // p99 +5%
	lossy := writeDoc(t, dir, "lossy.json", cliDoc(t, "orders", 10000, 1))
	other := writeDoc(t, dir, "other.json", cliDoc(t, "payments", 10000, 0))
	elsewhere := cliDoc(t, "orders", 10000, 0)
	elsewhere.Points[0].Params["rate_per_s"] = 5000
	noCommon := writeDoc(t, dir, "elsewhere.json", elsewhere)
	broken := cliDoc(t, "orders", 10000, 0)
	broken.Points[0].Subscribers[0].Accounting.Lost = 3 // sent != delivered + lost
	b, _ := json.Marshal(broken)
	brokenPath := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(brokenPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	overloadedDoc := cliDoc(t, "orders", 13000, 0) // slower, but the generator fell behind
	overloadedDoc.Points[0].Overloaded, overloadedDoc.Points[0].OverloadReason = true, "lag p99 1.4s > 1s"
	overloaded := writeDoc(t, dir, "overloaded.json", overloadedDoc)
	notJSON := filepath.Join(dir, "notjson.json")
	if err := os.WriteFile(notJSON, []byte("name: tiny\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("compare exit codes", func(t *testing.T) {
		tests := []struct {
			name     string
			args     []string
			code     int
			contains string // in stdout+stderr
		}{
			{"same run", []string{base, base}, 0, "no regression"},
			{"p99 +5% is within tolerance", []string{base, slightly}, 0, "no regression"},
			{"p99 +30% regresses", []string{base, slower}, exitRegression, "e2e p99 rose"},
			{"lost 0 -> 1 regresses", []string{base, lossy}, exitRegression, "lost rose 0 -> 1"},
			{"a wider tolerance lets +30% pass", []string{base, slower, "--latency-tolerance", "50%"}, 0, "no regression"},
			{"a 5ms floor lets +3ms pass", []string{base, slower, "--latency-floor", "5ms"}, 0, "no regression"},
			{"ignored metrics do not gate", []string{base, slower, "--ignore", "e2e_p99_us,e2e_p999_us,e2e_max_us"}, 0, "ignored"},
			{"different scenarios warn", []string{base, other}, 0, "warning: scenario names differ"},
			{"missing file", []string{base, filepath.Join(dir, "nope.json")}, 2, "nope.json"},
			{"not a results document", []string{notJSON, base}, 2, "is it an evbench results.json"},
			{"accounting that does not add up", []string{base, brokenPath}, 2, "accounting identity violated"},
			{"no point in common", []string{base, noCommon}, 2, "no point in common"},
			{"an overloaded candidate is not judged", []string{base, overloaded}, exitOverloaded, "not comparable: load generator overloaded in the candidate (lag p99 1.4s > 1s)"},
			{"bad tolerance", []string{base, slower, "--latency-tolerance", "ten"}, 2, "not a percentage"},
			{"negative floor", []string{base, slower, "--latency-floor", "-1ms"}, 2, "not a duration"},
			{"throughput tolerance over 100%", []string{base, slower, "--throughput-tolerance", "150%"}, 2, "throughput tolerance"},
			{"unknown metric to ignore", []string{base, slower, "--ignore", "p99"}, 2, "unknown metric"},
			{"one file", []string{base}, 2, "accepts 2 arg"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, errOut, code := runBin(t, bin, append([]string{"compare"}, tc.args...)...)
				if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
					t.Errorf("exit %d (want %d), output does not contain %q:\nstdout:\n%s\nstderr:\n%s", code, tc.code, tc.contains, out, errOut)
				}
			})
		}
	})

	t.Run("compare regression summary on stderr", func(t *testing.T) {
		_, errOut, code := runBin(t, bin, "compare", base, slower)
		if code != exitRegression || !strings.Contains(errOut, "3 regression(s)") || !strings.Contains(errOut, "webhook rate_per_s=100 subscribers=1 / inventory: e2e p99 rose") {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
	})

	t.Run("compare --json", func(t *testing.T) {
		out, errOut, code := runBin(t, bin, "compare", base, slower, "--json")
		if code != exitRegression {
			t.Fatalf("exit %d, want %d\n%s", code, exitRegression, errOut)
		}
		var rep struct {
			Base        struct{ Label string }
			Regressions []struct {
				Metric     string   `json:"metric"`
				Subscriber string   `json:"subscriber"`
				Base       float64  `json:"base"`
				Candidate  float64  `json:"candidate"`
				ChangePct  *float64 `json:"change_pct"`
			} `json:"regressions"`
			Compared int `json:"metrics_compared"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out)
		}
		if rep.Base.Label != base || len(rep.Regressions) != 3 || rep.Compared != 8 {
			t.Fatalf("label %q, %d regressions, %d compared: %s", rep.Base.Label, len(rep.Regressions), rep.Compared, out)
		}
		g := rep.Regressions[0]
		if g.Metric != "e2e_p99_us" || g.Subscriber != "inventory" || g.ChangePct == nil || *g.ChangePct < 29.8 || *g.ChangePct > 30.2 {
			t.Errorf("first regression %+v, want inventory e2e_p99_us about +30%%", g)
		}
	})

	t.Run("merge writes a valid results.json", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "merged.json")
		stdout, stderr, code := runBin(t, bin, "merge", base, lossy, slower, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		m, err := results.ReadFile(out) // validates: sent == delivered + lost
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Points) != 1 {
			t.Fatalf("%d points, want 1", len(m.Points))
		}
		p := m.Points[0]
		s := p.Subscribers[0]
		if s.Accounting.Sent != 3000 || s.Accounting.Delivered != 2999 || s.Accounting.Lost != 1 || s.E2E.LatencyUS.Count != 2999 {
			t.Errorf("accounting %+v, e2e count %d: want 3000 sent, 1 lost", s.Accounting, s.E2E.LatencyUS.Count)
		}
		if p.AchievedPerS != 300 || p.Resources.CPUUserS != 1.5 || p.Resources.MaxRSSBytes != 50<<20 {
			t.Errorf("achieved %g, resources %+v", p.AchievedPerS, p.Resources)
		}
		// Thresholds re-evaluated on the merged numbers by the engine.
		want := map[string]bool{"lost == 0": false, "e2e.p99 < 50ms": true}
		if len(p.Thresholds) != 2 {
			t.Fatalf("thresholds %+v", p.Thresholds)
		}
		for _, th := range p.Thresholds {
			if pass, ok := want[th.Expr]; !ok || pass != th.Pass {
				t.Errorf("threshold %+v", th)
			}
		}
		if !strings.Contains(stdout, "merged 3 documents") {
			t.Errorf("stdout %q", stdout)
		}
		// The merged document is a valid comparison input.
		if _, errOut, code := runBin(t, bin, "compare", base, out); code != exitRegression || !strings.Contains(errOut, "lost rose 0 -> 1") {
			t.Errorf("compare with the merged document: exit %d\n%s", code, errOut)
		}
	})

	t.Run("merge into a folder and to stdout", func(t *testing.T) {
		d := t.TempDir()
		if _, errOut, code := runBin(t, bin, "merge", base, base, "-o", d); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if _, err := results.ReadFile(filepath.Join(d, "results.json")); err != nil {
			t.Error(err)
		}
		out, errOut, code := runBin(t, bin, "merge", base, base, "--out", "-")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if _, err := results.Decode([]byte(out)); err != nil {
			t.Errorf("stdout is not a valid results document: %v", err)
		}
	})

	t.Run("merge refuses", func(t *testing.T) {
		tests := []struct {
			name     string
			args     []string
			code     int
			contains string
		}{
			{"different scenarios", []string{base, other, "--out", filepath.Join(dir, "m1.json")}, 2, "use --force"},
			{"different scenarios, forced", []string{base, other, "--out", filepath.Join(dir, "m2.json"), "--force"}, 0, "merged 2 documents"},
			{"no --out", []string{base, slower}, 2, "--out is required"},
			{"one file", []string{base, "--out", filepath.Join(dir, "m3.json")}, 2, "requires at least 2 arg"},
			{"invalid document", []string{base, brokenPath, "--out", filepath.Join(dir, "m4.json")}, 2, "accounting identity violated"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, errOut, code := runBin(t, bin, append([]string{"merge"}, tc.args...)...)
				if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
					t.Errorf("exit %d (want %d), output does not contain %q:\n%s%s", code, tc.code, tc.contains, out, errOut)
				}
			})
		}
		if _, err := os.Stat(filepath.Join(dir, "m1.json")); err == nil {
			t.Error("a refused merge wrote its output")
		}
	})
}
