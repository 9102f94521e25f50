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
	fmt.Fprintf(ew, "base:       %s\n", docLine(r.Base))
	fmt.Fprintf(ew, "candidate:  %s\n", docLine(r.Candidate))
	o := r.Options
	fmt.Fprintf(ew, "tolerances: latency +%s and at least +%s; throughput -%s; lost and dead-lettered: any increase",
		fmtTol(o.LatencyTolerance), fmtUS(float64(o.LatencyFloor.Microseconds())), fmtTol(o.ThroughputTolerance))
	if len(o.Ignore) > 0 {
		fmt.Fprintf(ew, "; ignored: %s", strings.Join(o.Ignore, ", "))
	}
	fmt.Fprintln(ew)
	for _, warn := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", warn)
	}
	fmt.Fprintln(ew)

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
	fmt.Fprintln(ew)
	fmt.Fprintln(ew, r.Summary())
	for _, g := range r.Regressions {
		fmt.Fprintf(ew, "  - %s\n", g)
	}
	return ew.err
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
	if n := len(r.BaseOnlyPoints) + len(r.CandidateOnlyPoints); n > 0 {
		what += fmt.Sprintf(", %d point(s) on one side only", n)
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
