package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode comparison: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	return nil
}

// WriteText writes the report as a plain-text table for a terminal or a CI
// log: the two documents, the tolerances, warnings, one row per compared
// metric, what was not compared, and a last line saying whether anything
// regressed.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	r.writeDocs(ew)
	o := r.Options
	fmt.Fprintf(ew, "tolerances: latency +%s and at least +%s; throughput -%s; lost and dead-lettered: any increase",
		fmtTol(o.LatencyTolerance), fmtUS(float64(o.LatencyFloor.Microseconds())), fmtTol(o.ThroughputTolerance))
	if len(o.Ignore) > 0 {
		fmt.Fprintf(ew, "; ignored: %s", strings.Join(o.Ignore, ", "))
	}
	fmt.Fprintln(ew)
	if r.Mode == ModeSamples {
		fmt.Fprintf(ew, "significance: Mann-Whitney U test, alpha %g; a change gates only when beyond the tolerance AND significant\n", o.alpha())
	} else {
		fmt.Fprintln(ew, "significance: not tested (one run per side); run repeats (sweep.repeats) or pass several files per side for a significance test")
	}
	if n := r.Noise; n != nil {
		fmt.Fprintf(ew, "machine noise: CPU loop ±%.0f%%, timer wake-ups late by %s (p50) / %s (p99)\n", n.CPUSpreadPct, fmtUS(n.TimerLateP50US), fmtUS(n.TimerLateP99US))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", warn)
	}
	fmt.Fprintln(ew)

	if r.Mode == ModeSamples {
		r.writeSamplesTable(ew)
	} else {
		r.writePairedTable(ew)
	}
	r.writeNotes(ew)
	fmt.Fprintln(ew)
	fmt.Fprintln(ew, r.Summary())
	for _, g := range r.Regressions {
		fmt.Fprintf(ew, "  - %s\n", g)
	}
	return ew.err
}

func (r *Report) writeDocs(w io.Writer) {
	if r.Mode != ModeSamples {
		fmt.Fprintf(w, "base:       %s\n", docLine(r.Base))
		fmt.Fprintf(w, "candidate:  %s\n", docLine(r.Candidate))
		return
	}
	for _, side := range []struct {
		name string
		docs []Doc
	}{{"base:      ", r.BaseDocs}, {"candidate: ", r.CandidateDocs}} {
		for i, d := range side.docs {
			label := side.name
			if i > 0 {
				label = strings.Repeat(" ", len(label))
			}
			fmt.Fprintf(w, "%s %s\n", label, docLine(d))
		}
	}
}

func (r *Report) writePairedTable(ew io.Writer) {
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "point\tsubscriber\tmetric\tbase\tcandidate\tchange\tverdict")
	for _, p := range r.Points {
		point := p.Key.String()
		row := func(sub string, m Metric) {
			base, cand, change := FormatValue(m.Name, m.Base), FormatValue(m.Name, m.Candidate), "0"
			if m.Change != 0 {
				change = FormatChange(m.Name, m.Change) + fmtPct(m.ChangePct, " ")
			}
			if m.Name == MetricStatus {
				base, cand, change = p.BaseStatus, p.CandidateStatus, ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", point, sub, Label(m.Name), base, cand, change, verdictText(m.Verdict))
			point = ""
		}
		for _, m := range p.Metrics {
			row("-", m)
		}
		for _, s := range p.Subscribers {
			for _, m := range s.Metrics {
				row(s.Name, m)
			}
		}
	}
	tw.Flush()
}

// writeSamplesTable is benchstat's layout: each side's median with its
// confidence interval, the change of the medians with the interval of the
// change, the p-value and the sample sizes.
func (r *Report) writeSamplesTable(ew io.Writer) {
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "point\tsubscriber\tmetric\tbase median\tcandidate median\tvs base\t%s\tp, n\tverdict\n", r.changeCIHeader())
	for _, p := range r.Points {
		point := fmt.Sprintf("%s (n=%d+%d)", p.Key, p.BaseSamples, p.CandidateSamples)
		row := func(sub string, m Metric) {
			base, cand := FormatValue(m.Name, m.Base), FormatValue(m.Name, m.Candidate)
			change, ci, pn := changeText(m), "", ""
			if st := m.Stats; st != nil {
				base += " ± " + ciPct(m.Base, st.BaseLo, st.BaseHi)
				cand += " ± " + ciPct(m.Candidate, st.CandidateLo, st.CandidateHi)
				ci = changeCI(st)
				pn = fmt.Sprintf("p=%.3f n=%d+%d", st.P, st.BaseN, st.CandidateN)
			} else if m.Name != MetricStatus {
				base, cand = "mean "+base, "mean "+cand
			}
			if m.Name == MetricStatus {
				base, cand, change = p.BaseStatus, p.CandidateStatus, ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", point, sub, Label(m.Name), base, cand, change, ci, pn, verdictText(m.Verdict))
			point = ""
		}
		for _, m := range p.Metrics {
			row("-", m)
		}
		for _, s := range p.Subscribers {
			for _, m := range s.Metrics {
				row(s.Name, m)
			}
		}
	}
	tw.Flush()
}

// changeText is the relative change, or "~" (benchstat's "no significant
// difference") when a sampled metric's change is not significant.
func changeText(m Metric) string {
	if m.Stats != nil && m.Stats.Judgeable && !m.Stats.Significant {
		return "~"
	}
	if m.Change == 0 {
		return "0"
	}
	if m.ChangePct != nil {
		return fmt.Sprintf("%+.1f%%", *m.ChangePct)
	}
	return FormatChange(m.Name, m.Change)
}

// changeCI is the Hodges-Lehmann interval of the change in percent of the
// base median ("" when the samples are too few).
func changeCI(st *Stats) string {
	if st.ChangeLoPct == nil {
		return ""
	}
	return fmt.Sprintf("[%+.1f%%, %+.1f%%]", *st.ChangeLoPct, *st.ChangeHiPct)
}

func (r *Report) writeNotes(ew io.Writer) {
	var notes []string
	for _, k := range r.BaseOnlyPoints {
		notes = append(notes, fmt.Sprintf("point only in the base, not compared: %s", k))
	}
	for _, k := range r.CandidateOnlyPoints {
		notes = append(notes, fmt.Sprintf("point only in the candidate, not compared: %s", k))
	}
	for _, p := range r.Points {
		for _, s := range p.BaseOnlySubscribers {
			notes = append(notes, fmt.Sprintf("%s: subscriber %s only in the base, not compared", p.Key, s))
		}
		for _, s := range p.CandidateOnlySubscribers {
			notes = append(notes, fmt.Sprintf("%s: subscriber %s only in the candidate, not compared", p.Key, s))
		}
		for _, n := range p.Notes {
			notes = append(notes, fmt.Sprintf("%s: %s", p.Key, n))
		}
		for _, s := range p.Subscribers {
			for _, n := range s.Notes {
				notes = append(notes, fmt.Sprintf("%s / %s: %s", p.Key, s.Name, n))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(ew)
		for _, n := range notes {
			fmt.Fprintf(ew, "note: %s\n", n)
		}
	}
}

// Summary is one line: how many metrics were compared and how many
// regressed or improved.
func (r *Report) Summary() string {
	improved := 0
	for _, p := range r.Points {
		for _, m := range p.Metrics {
			if m.Verdict == Improved {
				improved++
			}
		}
		for _, s := range p.Subscribers {
			for _, m := range s.Metrics {
				if m.Verdict == Improved {
					improved++
				}
			}
		}
	}
	what := fmt.Sprintf("%d metric(s) compared over %d point(s), %d improved", r.Compared, len(r.Points), improved)
	if r.Unjudged > 0 {
		what += fmt.Sprintf(", %d could not be judged (too few samples)", r.Unjudged)
	}
	if n := len(r.BaseOnlyPoints) + len(r.CandidateOnlyPoints); n > 0 {
		what += fmt.Sprintf(", %d point(s) on one side only", n)
	}
	nc := 0
	for _, p := range r.Points {
		if p.NotComparable {
			nc++
		}
	}
	if nc > 0 {
		what += fmt.Sprintf(", %d point(s) not comparable (load generator overloaded)", nc)
	}
	if !r.Regressed() {
		return "no regression: " + what
	}
	return fmt.Sprintf("%d REGRESSION(S): %s", len(r.Regressions), what)
}

func verdictText(v Verdict) string {
	switch v {
	case Regressed:
		return "REGRESSION"
	case Improved:
		return "improved"
	case Ignored:
		return "ignored"
	case Same:
		return "ok"
	case Unjudged:
		return "cannot judge"
	}
	return ""
}

func docLine(d Doc) string {
	var parts []string
	if d.Label != "" {
		parts = append(parts, d.Label)
	}
	desc := fmt.Sprintf("scenario %q", d.Scenario)
	if d.Status != "" && d.Status != "complete" {
		desc += " (" + d.Status + ")"
	}
	desc += ", revision " + orNone(d.Revision)
	if !d.StartedAt.IsZero() {
		desc += ", " + d.StartedAt.UTC().Format(time.DateTime) + " UTC"
	}
	desc += fmt.Sprintf(", %d cpu(s)", d.CPUs)
	if d.BrokerKind != "" {
		desc += ", broker " + d.BrokerKind
	}
	parts = append(parts, desc)
	return strings.Join(parts, "  ")
}

// errWriter keeps the first write error so rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
