package compare

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/evbench/evbench/reports/junit"
	"github.com/evbench/evbench/reports/results"
)

// WriteMarkdown writes the comparison for a GitHub step summary or a pull
// request comment: a verdict line, the tolerances, warnings, and one compact
// table per system. Rows of counts that are zero on both sides are left out
// (their number is said below the table).
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	head := "no regression"
	if r.Regressed() {
		head = fmt.Sprintf("%d regression(s)", len(r.Regressions))
	}
	fmt.Fprintf(ew, "## evbench compare: %s\n\n", head)
	o := r.Options
	base, cand := sideText(r.Base, r.BaseDocs), sideText(r.Candidate, r.CandidateDocs)
	fmt.Fprintf(ew, "Base %s; candidate %s.  \n", base, cand)
	fmt.Fprintf(ew, "Gate: latency +%s and at least +%s, throughput -%s, any new loss or dead letter", fmtTol(o.LatencyTolerance),
		fmtUS(float64(o.LatencyFloor.Microseconds())), fmtTol(o.ThroughputTolerance))
	if r.Mode == ModeSamples {
		fmt.Fprintf(ew, "; significant at alpha %g (Mann-Whitney U).", o.alpha())
	} else {
		fmt.Fprint(ew, "; one run per side, so no significance test.")
	}
	if len(o.Ignore) > 0 {
		fmt.Fprintf(ew, " Ignored: %s.", strings.Join(o.Ignore, ", "))
	}
	fmt.Fprintln(ew)
	if n := r.Noise; n != nil {
		fmt.Fprintf(ew, "Machine noise: CPU loop ±%.0f%%, timer wake-ups late by %s (p99).\n", n.CPUSpreadPct, fmtUS(n.TimerLateP99US))
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(ew)
		for _, warn := range r.Warnings {
			fmt.Fprintf(ew, "> **Warning:** %s\n>\n", mdEscape(warn))
		}
	}
	var systems []string
	for _, p := range r.Points {
		if !slices.Contains(systems, p.Key.System) {
			systems = append(systems, p.Key.System)
		}
	}
	// A comparison keeps no points, so systems go in the legacy order
	// (results.Order), others after by name.
	results.Order(nil).Sort(systems)
	for _, sys := range systems {
		fmt.Fprintf(ew, "\n### %s\n\n", sys)
		if r.Mode == ModeSamples {
			fmt.Fprintf(ew, "| point | subscriber | metric | base | candidate | change | %s | p (n) | verdict |\n", r.changeCIHeader())
			fmt.Fprintln(ew, "|---|---|---|--:|--:|--:|--:|--:|---|")
		} else {
			fmt.Fprintln(ew, "| point | subscriber | metric | base | candidate | change | verdict |")
			fmt.Fprintln(ew, "|---|---|---|--:|--:|--:|---|")
		}
		omitted := 0
		for _, p := range r.Points {
			if p.Key.System != sys {
				continue
			}
			point := fmtParams(p.Key.Params)
			if p.Key.Repeat > 1 {
				point += fmt.Sprintf(" repeat=%d", p.Key.Repeat)
			}
			if r.Mode == ModeSamples {
				point += fmt.Sprintf(" (n=%d+%d)", p.BaseSamples, p.CandidateSamples)
			}
			row := func(sub string, m Metric) {
				if m.Base == 0 && m.Candidate == 0 && m.Name != MetricStatus && m.Stats == nil {
					omitted++
					return
				}
				b, c, change := FormatValue(m.Name, m.Base), FormatValue(m.Name, m.Candidate), changeText(m)
				if m.Name == MetricStatus {
					b, c, change = p.BaseStatus, p.CandidateStatus, ""
				}
				verdict := verdictText(m.Verdict)
				if m.Verdict == Regressed {
					verdict = "**REGRESSION**"
				}
				if r.Mode == ModeSamples {
					ci, pn := "", ""
					if st := m.Stats; st != nil {
						b += " ±" + ciPct(m.Base, st.BaseLo, st.BaseHi)
						c += " ±" + ciPct(m.Candidate, st.CandidateLo, st.CandidateHi)
						ci = changeCI(st)
						pn = fmt.Sprintf("%.3f (%d+%d)", st.P, st.BaseN, st.CandidateN)
					}
					fmt.Fprintf(ew, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", point, sub, Label(m.Name), b, c, change, ci, pn, verdict)
				} else {
					fmt.Fprintf(ew, "| %s | %s | %s | %s | %s | %s | %s |\n", point, sub, Label(m.Name), b, c, change, verdict)
				}
				point = ""
			}
			for _, m := range p.Metrics {
				row("", m)
			}
			for _, s := range p.Subscribers {
				for _, m := range s.Metrics {
					row(mdEscape(s.Name), m)
				}
			}
		}
		if omitted > 0 {
			fmt.Fprintf(ew, "\n%d count(s) zero on both sides not shown.\n", omitted)
		}
	}
	var notes []string
	for _, k := range r.BaseOnlyPoints {
		notes = append(notes, "only in the base, not compared: "+k.String())
	}
	for _, k := range r.CandidateOnlyPoints {
		notes = append(notes, "only in the candidate, not compared: "+k.String())
	}
	if len(notes) > 0 {
		fmt.Fprintln(ew)
		for _, n := range notes {
			fmt.Fprintf(ew, "- %s\n", mdEscape(n))
		}
	}
	fmt.Fprintf(ew, "\n%s\n", mdEscape(r.Summary()))
	for _, g := range r.Regressions {
		fmt.Fprintf(ew, "- %s\n", mdEscape(g.String()))
	}
	return ew.err
}

func sideText(d Doc, docs []Doc) string {
	label := d.Label
	if label == "" {
		label = d.Scenario
	}
	s := "`" + strings.ReplaceAll(label, "`", "'") + "`"
	if len(docs) > 1 {
		s += fmt.Sprintf(" and %d more", len(docs)-1)
	}
	if d.Revision != "" {
		s += " (" + d.Revision + ")"
	}
	return s
}

// mdEscape keeps a cell's text from breaking the table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;").Replace(s)
}

// WriteJUnit writes the comparison as JUnit XML: a suite per system with
// one test case per compared metric (failing on a regression, skipped when
// the samples were too few to judge) and, per system, a suite with one test
// case per threshold of the candidate run(s).
func (r *Report) WriteJUnit(w io.Writer) error {
	var suites []junit.Suite
	idx := map[string]int{}
	suite := func(name string) *junit.Suite {
		i, ok := idx[name]
		if !ok {
			i = len(suites)
			idx[name] = i
			suites = append(suites, junit.Suite{Name: name})
		}
		return &suites[i]
	}
	for _, p := range r.Points {
		s := suite("evbench compare: " + p.Key.System)
		point := fmtParams(p.Key.Params)
		if p.Key.Repeat > 1 {
			point += fmt.Sprintf(" repeat=%d", p.Key.Repeat)
		}
		add := func(sub string, m Metric) {
			name := point + " / " + Label(m.Name)
			if sub != "" {
				name = point + " / " + sub + " / " + Label(m.Name)
			}
			c := junit.Case{Name: name, Classname: "evbench.compare." + p.Key.System}
			figures := fmt.Sprintf("base %s, candidate %s, change %s", FormatValue(m.Name, m.Base), FormatValue(m.Name, m.Candidate), changeText(m))
			if st := m.Stats; st != nil {
				figures += fmt.Sprintf(" %s, p=%.3f, n=%d+%d", changeCI(st), st.P, st.BaseN, st.CandidateN)
			}
			switch m.Verdict {
			case Regressed:
				c.Failure = &junit.Message{Message: m.Reason, Type: "regression", Text: figures}
			case Unjudged:
				c.Skipped = &junit.Message{Message: m.Reason}
			default:
				c.SystemOut = string(m.Verdict) + ": " + figures
				if m.Reason != "" {
					c.SystemOut += "\n" + m.Reason
				}
			}
			s.Cases = append(s.Cases, c)
		}
		for _, m := range p.Metrics {
			add("", m)
		}
		for _, sd := range p.Subscribers {
			for _, m := range sd.Metrics {
				add(sd.Name, m)
			}
		}
	}
	for _, t := range r.Thresholds {
		s := suite("evbench thresholds (candidate): " + t.Point.System)
		point := fmtParams(t.Point.Params)
		if t.Point.Repeat > 1 {
			point += fmt.Sprintf(" repeat=%d", t.Point.Repeat)
		}
		c := junit.Case{Name: point + ": " + t.Expr, Classname: "evbench.thresholds." + t.Point.System}
		measured := "measured " + junit.FormatThreshold(t.Threshold)
		if t.Pass {
			c.SystemOut = measured
		} else {
			if t.Status != results.StatusComplete {
				measured += " (point " + t.Status + ")"
			}
			c.Failure = &junit.Message{Message: measured, Type: "threshold", Text: t.Expr + ": " + measured}
		}
		s.Cases = append(s.Cases, c)
	}
	return junit.Write(w, junit.Suites{Name: "evbench compare", Suites: suites})
}

// changeCIHeader names the change interval's column with its level: at
// least 1 - alpha (the exact level of each interval is in the JSON).
func (r *Report) changeCIHeader() string {
	return fmt.Sprintf("CI of change (≥%g%%)", math.Round(1000*(1-r.Options.alpha()))/10)
}
