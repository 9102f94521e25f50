// Package ci renders a run's outcome for CI systems: a Markdown summary
// (GitHub step summary, pull request comment) and JUnit XML with one test
// case per threshold. `evbench run --summary-md FILE --junit FILE` writes
// them; `evbench compare` has its own renderings (reports/compare).
package ci

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/evbench/evbench/reports/junit"
	"github.com/evbench/evbench/reports/results"
)

// WriteRunJUnit writes the run's thresholds as JUnit XML: a suite per
// system, a test case per (point, threshold), failing when it failed.
func WriteRunJUnit(w io.Writer, r *results.Results) error {
	return junit.Write(w, junit.Suites{Name: "evbench run " + scenarioName(r), Suites: junit.ThresholdSuites(r, nil)})
}

// FailedThresholds counts the thresholds that failed over every point.
func FailedThresholds(r *results.Results) (failed, total int) {
	for _, p := range r.Points {
		for _, t := range p.Thresholds {
			total++
			if !t.Pass {
				failed++
			}
		}
	}
	return failed, total
}

// WriteRunMarkdown writes a compact summary of a run: status and
// thresholds verdict, one table per system (a row per point and
// subscriber), and the thresholds.
func WriteRunMarkdown(w io.Writer, r *results.Results) error {
	var b strings.Builder
	failed, total := FailedThresholds(r)
	verdict := fmt.Sprintf("%d/%d thresholds passed", total-failed, total)
	if failed > 0 {
		verdict = fmt.Sprintf("**%d of %d thresholds FAILED**", failed, total)
	}
	if total == 0 {
		verdict = "no thresholds"
	}
	fmt.Fprintf(&b, "## evbench run: %s\n\n", md(scenarioName(r)))
	fmt.Fprintf(&b, "Status **%s**; %s.", r.Status, verdict)
	if r.Error != "" {
		fmt.Fprintf(&b, " Error: %s.", md(r.Error))
	}
	e := r.Environment
	fmt.Fprintf(&b, " evbench %s (%s), %d cpu(s)", md(or(e.Version, "dev")), md(or(e.Revision, "unknown revision")), e.CPUs)
	if n := e.Noise; n != nil {
		fmt.Fprintf(&b, ", machine noise ±%.0f%%", n.CPUSpreadPct)
	}
	b.WriteString(".\n")
	if e.Embedded {
		b.WriteString("\n> Kafka and bridge ran on the in-memory embedded broker (no disk, no replication): not a real cluster's numbers.\n")
	}
	var systems []string
	for _, p := range r.Points {
		if !slices.Contains(systems, p.System) {
			systems = append(systems, p.System)
		}
	}
	results.OrderOf(r.Points).Sort(systems)
	for _, sys := range systems {
		fmt.Fprintf(&b, "\n### %s\n\n", sys)
		b.WriteString("| point | status | subscriber | achieved/s | p50 | p99 | p99.9 | max | delivered | lost | dead-lettered |\n")
		b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, p := range r.Points {
			if p.System != sys {
				continue
			}
			point, status := junit.PointName(p), p.Status
			if len(p.Subscribers) == 0 {
				fmt.Fprintf(&b, "| %s | %s | | %.0f | | | | | | | |\n", point, status, p.AchievedPerS)
			}
			for _, s := range p.Subscribers {
				l, a := s.E2E.LatencyUS, s.Accounting
				fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %s | %s | %s | %s | %d | %d | %d |\n", point, status, md(s.Name), p.AchievedPerS,
					us(l.P50), us(l.P99), us(l.P999), us(l.Max), a.Delivered, a.Lost, a.DeadLettered)
				point, status = "", ""
			}
		}
	}
	if total > 0 {
		b.WriteString("\n### thresholds\n\n| system | point | threshold | measured | result |\n|---|---|---|--:|---|\n")
		for _, p := range r.Points {
			for _, t := range p.Thresholds {
				res := "pass"
				if !t.Pass {
					res = "**FAIL**"
				}
				fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", p.System, junit.PointName(p), strings.ReplaceAll(t.Expr, "`", "'"), junit.FormatThreshold(t), res)
			}
		}
	}
	for _, m := range r.MaxSustainable {
		bound := ""
		if !m.Bounded {
			bound = " (search limit reached)"
		}
		fmt.Fprintf(&b, "\nMax sustainable %s, %d subscriber(s): %.0f/s under `%s`%s.\n", m.System, m.Subscribers, m.RatePerS, m.SLO, bound)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func us(v int64) string {
	if v == 0 {
		return "-"
	}
	return junit.FormatUS(float64(v))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func md(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;").Replace(s) }

func scenarioName(r *results.Results) string {
	var sc struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(r.Scenario, &sc) != nil || sc.Name == "" {
		return "scenario"
	}
	return sc.Name
}
