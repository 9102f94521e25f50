package compare

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// overload marks a point as the run engine does when the load generator
// fell behind its schedule.
func overload(p *results.Point) {
	p.Overloaded, p.OverloadReason = true, "generator finished emitting 14s after the schedule ended"
}

// TestOverloadedNotComparable: a point whose load generator was overloaded
// on either side is not comparable. Its (here much worse) latencies,
// throughput and losses do not gate; the report says which side and why;
// the other points are still judged; and when no shared point is
// comparable, Compare says so with ErrNotComparable instead of passing.
// Before, the candidate's overloaded kafka point regressed on its
// latencies as if the offered load had been applied.
func TestOverloadedNotComparable(t *testing.T) {
	worse := func(r *results.Results, system string) {
		p := pt(t, r, system)
		p.AchievedPerS = 40
		p.Subscribers[0] = subscriber(t, "inventory", 1000, 30, 200000, 900000)
	}
	tests := []struct {
		name            string
		mutate          func(base, cand *results.Results)
		wantErr         error
		wantRegressions int
		notComparable   []string // systems
		noteHas         string
	}{
		{"candidate overloaded", func(b, c *results.Results) { worse(c, "kafka"); overload(pt(t, c, "kafka")) },
			nil, 0, []string{"kafka"}, "overloaded in the candidate (generator finished"},
		{"base overloaded", func(b, c *results.Results) { overload(pt(t, b, "kafka")) },
			nil, 0, []string{"kafka"}, "overloaded in the base"},
		{"other point still judged", func(b, c *results.Results) {
			worse(c, "kafka")
			overload(pt(t, c, "kafka"))
			worse(c, "webhook")
		}, nil, 6, []string{"kafka"}, "not judged"},
		{"every point overloaded", func(b, c *results.Results) {
			overload(pt(t, c, "kafka"))
			overload(pt(t, c, "webhook"))
		}, ErrNotComparable, 0, []string{"webhook", "kafka"}, "not comparable"},
		{"status still judged", func(b, c *results.Results) {
			overload(pt(t, c, "kafka"))
			pt(t, c, "kafka").Status = results.StatusFailed
			overload(pt(t, c, "webhook"))
		}, nil, 1, []string{"webhook", "kafka"}, "not comparable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, cand := doc(t), doc(t)
			tc.mutate(base, cand)
			rep, err := Compare(base, cand, DefaultOptions())
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if len(rep.Regressions) != tc.wantRegressions {
				t.Errorf("%d regressions, want %d: %v", len(rep.Regressions), tc.wantRegressions, rep.Regressions)
			}
			var nc []string
			for _, p := range rep.Points {
				if p.NotComparable {
					nc = append(nc, p.Key.System)
					if !strings.Contains(strings.Join(p.Notes, "\n"), tc.noteHas) {
						t.Errorf("%s notes %q: want %q", p.Key.System, p.Notes, tc.noteHas)
					}
					for _, m := range p.Metrics {
						if m.Name != MetricStatus {
							t.Errorf("%s: metric %s judged on a point that is not comparable", p.Key.System, m.Name)
						}
					}
					if len(p.Subscribers) != 0 {
						t.Errorf("%s: subscribers judged on a point that is not comparable", p.Key.System)
					}
				}
			}
			if strings.Join(nc, ",") != strings.Join(tc.notComparable, ",") {
				t.Errorf("not comparable: %v, want %v", nc, tc.notComparable)
			}
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), "not comparable") {
				t.Errorf("warnings %q do not say points were not comparable", rep.Warnings)
			}
			if want := fmt.Sprintf("%d point(s) not comparable", len(tc.notComparable)); !strings.Contains(rep.Summary(), want) {
				t.Errorf("summary %q does not say %q", rep.Summary(), want)
			}
		})
	}
}

// TestOverloadedRunsLeftOut: in samples mode overloaded runs are left out
// (and said to be); a side left with no run makes the point not comparable.
func TestOverloadedRunsLeftOut(t *testing.T) {
	base, cand := repeats(t, 6, 1, 0), repeats(t, 6, 1, 2)
	for i := 0; i < 2; i++ { // two candidate runs overloaded, far slower
		p := &cand.Points[i]
		overload(p)
		p.Subscribers[0] = subscriber(t, "inventory", 1000, 0, 400000, 900000)
	}
	rep, err := CompareSets([]*results.Results{base}, []*results.Results{cand}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Regressed() || rep.Points[0].NotComparable {
		t.Errorf("regressions %v, not comparable %v: the 4 remaining runs match the base", rep.Regressions, rep.Points[0].NotComparable)
	}
	if n := strings.Join(rep.Points[0].Notes, "\n"); !strings.Contains(n, "overloaded in 2 of 6 candidate run(s)") || !strings.Contains(n, "left out") {
		t.Errorf("notes %q: want the 2 overloaded runs said to be left out", n)
	}
	for i := range cand.Points {
		overload(&cand.Points[i])
	}
	rep, err = CompareSets([]*results.Results{base}, []*results.Results{cand}, DefaultOptions())
	if !errors.Is(err, ErrNotComparable) || !rep.Points[0].NotComparable {
		t.Errorf("every candidate run overloaded: err %v, not comparable %v", err, rep.Points[0].NotComparable)
	}
}
